"""Pictures: the expression graph (graphviz) and training plots (matplotlib)."""

from __future__ import annotations

import shutil
from pathlib import Path

DOT_MISSING = (
    "Graphviz's `dot` program is not installed, so the graph cannot be drawn. "
    "Install it with your system's package manager: `sudo apt-get install graphviz` "
    "(Debian/Ubuntu), `brew install graphviz` (macOS) or `conda install graphviz`."
)


def trace(root):
    """All nodes and edges reachable from ``root`` (iteratively: graphs can be deep)."""
    nodes, edges, stack = set(), set(), [root]
    while stack:
        node = stack.pop()
        if node in nodes:
            continue
        nodes.add(node)
        for child in node._prev:
            edges.add((child, node))
            stack.append(child)
    return nodes, edges


def draw_dot(root, rankdir: str = "LR", highlight=()):
    """The expression graph of ``root`` as a ``graphviz.Digraph``.

    Each Value is a box showing its label, data and grad; each operation is a
    small oval feeding the Value it produced.  In a notebook the returned
    object displays itself; in a script, ``save_graph`` writes SVG or PNG.
    Nodes in ``highlight`` are drawn in red (e.g. a gradient that is wrong).
    """
    import graphviz

    if shutil.which("dot") is None:
        raise RuntimeError(DOT_MISSING)
    marked = {id(node) for node in highlight}
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": rankdir})
    nodes, edges = trace(root)
    for node in sorted(nodes, key=id):  # a stable order gives a stable picture
        uid = str(id(node))
        label = f"{node.label} | " if node.label else ""
        style = {"color": "red", "fontcolor": "red", "penwidth": "2"} if id(node) in marked else {}
        dot.node(uid, f"{{ {label}data {node.data:.4f} | grad {node.grad:.4f} }}", shape="record", **style)
        if node._op:
            dot.node(uid + node._op, node._op)
            dot.edge(uid + node._op, uid)
    for child, parent in sorted(edges, key=lambda e: (id(e[0]), id(e[1]))):
        dot.edge(str(id(child)), str(id(parent)) + parent._op)
    return dot


def save_graph(root, path, **kwargs) -> Path:
    """Draw ``root``'s graph into ``path``; its suffix (.svg, .png, .pdf) picks the format."""
    path = Path(path)
    dot = draw_dot(root, **kwargs)
    dot.format = path.suffix.lstrip(".") or "svg"
    dot.render(outfile=path, cleanup=True)
    return path


def plot_decision_boundary(model, xs, ys, path=None, ax=None, resolution: float = 0.25):
    """Colour the plane by the model's class and scatter the data on top."""
    import matplotlib.pyplot as plt
    import numpy as np

    points = np.array(xs)
    x_min, y_min = points.min(axis=0) - 1
    x_max, y_max = points.max(axis=0) + 1
    gx, gy = np.meshgrid(np.arange(x_min, x_max, resolution), np.arange(y_min, y_max, resolution))
    scores = [model([float(a), float(b)]) for a, b in zip(gx.ravel(), gy.ravel())]
    side = np.array([s.data > 0 for s in scores]).reshape(gx.shape)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(gx, gy, side, cmap=plt.cm.Spectral, alpha=0.8)
    ax.scatter(points[:, 0], points[:, 1], c=ys, s=25, cmap=plt.cm.Spectral, edgecolors="k")
    ax.set_title("decision boundary")
    _save(ax, path)
    return ax


def plot_training(losses, accuracies=None, path=None):
    """The loss per step, and the accuracy per step on a second axis if given."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(losses, color="tab:blue")
    ax.set_xlabel("step")
    ax.set_ylabel("loss", color="tab:blue")
    if accuracies is not None:
        acc_ax = ax.twinx()
        acc_ax.plot(accuracies, color="tab:orange")
        acc_ax.set_ylabel("accuracy", color="tab:orange")
        acc_ax.set_ylim(0, 1.05)
    ax.set_title("training")
    fig.tight_layout()
    _save(ax, path)
    return ax


def _save(ax, path) -> None:
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(path, dpi=120, bbox_inches="tight")
