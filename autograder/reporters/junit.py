"""JUnit XML, for CI user interfaces: one testsuite per part, one testcase per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from micrograd_feedback.result import SubmissionResult


def render(result: SubmissionResult) -> str:
    suites = ET.Element("testsuites", name="micrograd", tests=str(len(result.checks)))
    for part in result.parts.values():
        checks = result.checks_of(part.id)
        suite = ET.SubElement(
            suites, "testsuite", name=part.id, tests=str(len(checks)),
            failures=str(sum(c.status == "failed" for c in checks)),
            errors=str(sum(c.status in ("error", "timeout") for c in checks)),
        )
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="score",
                      value=f"{part.score:g}/{part.max_score:g}")
        for check in checks:
            case = ET.SubElement(suite, "testcase", classname=f"micrograd.{part.id}", name=f"{part.id}: {check.name}")
            message = check.message
            first = message.splitlines()[0] if message else ""
            if check.status == "failed":
                ET.SubElement(case, "failure", message=first).text = message
            elif check.status in ("error", "timeout"):
                ET.SubElement(case, "error", type=check.status, message=first).text = message
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
