"""The moons demo learns; the graph picture renders (or says why it cannot)."""

from __future__ import annotations

import pytest

from solutions import viz
from solutions.demo import readme_expression, train_moons

pytestmark = pytest.mark.slow  # end to end: the fast lane (make test-fast) leaves it out


def test_moons_demo_reaches_97_percent_training_accuracy():
    _, _, losses, accuracies = train_moons(log=lambda line: None)
    assert len(losses) == 100
    assert accuracies[-1] >= 0.97
    assert losses[-1] < losses[0]


def test_demo_main_writes_the_pictures(tmp_path, monkeypatch):
    from solutions import demo

    monkeypatch.setattr(demo, "train_moons", lambda: train_moons(steps=3, log=lambda line: None))
    assert demo.main([str(tmp_path)]) == 0
    for name in ("graph.svg", "decision_boundary.png", "training.png"):
        assert (tmp_path / name).stat().st_size > 1000, name


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_save_graph_writes_svg_and_png(tmp_path, suffix, magic):
    g, _, _ = readme_expression()
    path = viz.save_graph(g, tmp_path / f"g{suffix}")
    assert path.read_bytes().startswith(magic)


def test_draw_dot_shows_data_and_grad_and_highlights():
    g, a, _ = readme_expression()
    source = viz.draw_dot(g, highlight=[a]).source
    assert "data 24.7041 | grad 1.0000" in source
    assert "data -4.0000 | grad 138.8338" in source
    assert "color=red" in source


def test_draw_dot_says_clearly_when_graphviz_is_missing(monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    g, _, _ = readme_expression()
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.draw_dot(g)
