"""The HTML report: an overview and a page per team, from the published marts (`chargeback report --html`).

`site.build_site` writes it; `queries` reads the marts, `charts` draws, `templates` lays out."""
