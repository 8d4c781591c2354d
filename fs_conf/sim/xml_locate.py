"""`xml_locate`: what a client reads of FreeSWITCH's XML registry over the Event Socket.

The reply follows src/mod/applications/mod_commands/mod_commands.c xml_locate_function() and
switch_xml_locate() (src/switch_xml.c); the element found is written as switch_xml_toxml()
writes it. The details: docs/simulator.md#api-commands
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fs_conf.sim.separate import separate

INDENT = "  "
"""switch_xml.c XML_INDENT: one level of nesting."""
NOT_FOUND = "can't find anything\n"

Sections = dict[str, list[ET.Element]]
"""Each section's top elements by section name (`dialplan`: the contexts, ...)."""


def xml_locate(arg: str, sections: Sections) -> str:
    """`root`, or `<section> <tag> <attribute> <value>`: the first element `<tag>` of the
    section whose attribute has that value; any other number of words is `-ERR bad args`."""
    words = separate(arg.strip(), limit=4)
    if len(words) == 1 and words[0].lower() == "root":
        return to_xml(document(sections))
    if len(words) != 4:
        # One word is a section without a tag: switch_xml_find_child() finds nothing then.
        return NOT_FOUND if len(words) == 1 else "-ERR bad args\n"
    section, tag, attribute, value = words
    for element in sections.get(section, []):
        if element.tag == tag and element.get(attribute) == value:
            return to_xml(element)
    return NOT_FOUND


def document(sections: Sections) -> ET.Element:
    """The whole registry as freeswitch.xml lays it out."""
    root = ET.Element("document", {"type": "freeswitch/xml"})
    for name, elements in sections.items():
        ET.SubElement(root, "section", {"name": name}).extend(elements)
    return root


def to_xml(element: ET.Element, depth: int = 0) -> str:
    """switch_xml_toxml_r(): an element on its own line, indented per level, `<tag/>` when it
    has neither children nor text; text right after the opening tag. Blank text between
    elements (indentation in the files) is left out."""
    attributes = "".join(f' {name}="{_escape(value, True)}"' for name, value in element.items())
    head = f"{INDENT * depth}<{element.tag}{attributes}"
    children = list(element)
    text = element.text if element.text and element.text.strip() else ""
    if not children and not text:
        return head + "/>\n"
    inner = _escape(text, False)
    if children:
        inner += "\n" + "".join(to_xml(child, depth + 1) for child in children)
        inner += INDENT * depth
    return f"{head}>{inner}</{element.tag}>\n"


def _escape(text: str, attribute: bool) -> str:
    """switch_xml_ampencode(): attributes also escape quotes, line breaks and tabs."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("\r", "&#xD;")
    if attribute:
        out = out.replace('"', "&quot;").replace("\n", "&#xA;").replace("\t", "&#x9;")
    return out
