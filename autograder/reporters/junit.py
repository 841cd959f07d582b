"""JUnit XML, for CI user interfaces: one testsuite per part, one testcase per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def render(result: dict) -> str:
    suites = ET.Element("testsuites", name="micrograd", tests=str(len(result["tests"])))
    for part_id, part in result["parts"].items():
        checks = [t for t in result["tests"] if t["part"] == part_id]
        suite = ET.SubElement(
            suites, "testsuite", name=part_id, tests=str(len(checks)),
            failures=str(sum(t["status"] == "failed" for t in checks)),
            errors=str(sum(t["status"] in ("error", "timeout") for t in checks)),
        )
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="score",
                      value=f"{part['score']:g}/{part['max_score']:g}")
        for t in checks:
            case = ET.SubElement(suite, "testcase", classname=f"micrograd.{part_id}", name=t["name"])
            if t["status"] == "failed":
                ET.SubElement(case, "failure", message=t["message"].splitlines()[0] if t["message"] else "").text = t["message"]
            elif t["status"] in ("error", "timeout"):
                ET.SubElement(case, "error", type=t["status"], message=t["message"].splitlines()[0] if t["message"] else "").text = t["message"]
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
