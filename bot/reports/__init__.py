"""Reports SLT keep as evidence: one self-contained HTML page each (styles and charts inlined,
nothing fetched), printable on A4, all in the same look (`templates/base.html`, `report.css`)."""
