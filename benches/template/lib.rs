//! The workload of the viper-template benchmark, shared by the criterion bench
//! (`benches/template.rs`) and the instruction-count example (`examples/instr.rs`):
//! a page with a layout, includes, a loop of 100 rows and filters.

use serde::Serialize;

/// The layout: a title block, a header include, a content block and a footer include.
pub const BASE: &str = r#"<!doctype html><html><head><title>{% block title %}Site{% endblock %}</title></head>
<body>{% include "header.html" %}<main>{% block content %}{% endblock %}</main>{% include "footer.html" %}</body></html>"#;
/// Included header: an upper-cased site name and a loop over navigation links.
pub const HEADER: &str = r#"<header><h1>{{ site_name|upper }}</h1><nav>{% for link in nav %}<a href="{{ link.url }}">{{ link.title|title }}</a>{% endfor %}</nav></header>"#;
/// Included footer.
pub const FOOTER: &str =
    r#"<footer>{{ year }} {{ site_name }} &middot; {{ rows|length }} rows</footer>"#;
/// The page: extends the layout, `super()` in the title, a 100-row table with filters.
pub const PAGE: &str = r#"{% extends "base.html" %}{% block title %}{{ title }} - {{ super() }}{% endblock %}
{% block content %}<table>{% for row in rows %}<tr class="{% if loop.index % 2 == 0 %}even{% else %}odd{% endif %}"><td>{{ loop.index }}</td><td>{{ row.name|title }}</td><td>{{ row.email|lower }}</td><td>{{ row.score|round(1) }}</td><td>{{ row.tags|join(", ") }}</td>{% if row.active %}<td>yes</td>{% else %}<td>no</td>{% endif %}</tr>
{% endfor %}</table>{% endblock %}"#;
/// A plain loop over 100 rows.
pub const ROWS: &str = r#"<ul>{% for row in rows %}<li id="r{{ row.id }}">{{ row.name }} &lt;{{ row.email }}&gt; {{ row.score }}</li>{% endfor %}</ul>"#;

/// Tera 2 takes filter arguments by name.
pub fn tera_syntax(s: &str) -> String {
    s.replace("round(1)", "round(precision=1)")
        .replace(r#"join(", ")"#, r#"join(sep=", ")"#)
}

/// A navigation link.
#[derive(Serialize)]
pub struct Link {
    /// Target URL.
    pub url: String,
    /// Link text.
    pub title: String,
}

/// One table row.
#[derive(Serialize)]
pub struct Row {
    /// Row id.
    pub id: u32,
    /// Display name (title-cased by the page).
    pub name: String,
    /// E-mail (lower-cased by the page).
    pub email: String,
    /// A float, rounded by the page.
    pub score: f64,
    /// Tags, joined by the page (one needs escaping).
    pub tags: Vec<String>,
    /// Drives an `if`.
    pub active: bool,
}

/// The render context.
#[derive(Serialize)]
pub struct Data {
    /// Page title (needs escaping).
    pub title: String,
    /// Site name.
    pub site_name: String,
    /// Footer year.
    pub year: u32,
    /// Navigation links.
    pub nav: Vec<Link>,
    /// The 100 rows.
    pub rows: Vec<Row>,
}

/// The context every engine renders.
pub fn data() -> Data {
    Data {
        title: "Users & <Admins>".into(),
        site_name: "viper demo".into(),
        year: 2026,
        nav: ["home", "about us", "contact"]
            .iter()
            .map(|t| Link {
                url: format!("/{}", t.replace(' ', "-")),
                title: t.to_string(),
            })
            .collect(),
        rows: (0..100)
            .map(|i| Row {
                id: i,
                name: format!("user number {i}"),
                email: format!("User{i}@Example.COM"),
                score: i as f64 * 1.37,
                tags: vec![format!("t{}", i % 3), "member".into(), "<b>".into()],
                active: i % 3 != 0,
            })
            .collect(),
    }
}

/// Template names and sources, the same for every engine (tera's go through
/// [`tera_syntax`]).
pub fn templates() -> Vec<(&'static str, String)> {
    vec![
        ("base.html", BASE.into()),
        ("header.html", HEADER.into()),
        ("footer.html", FOOTER.into()),
        ("page.html", PAGE.into()),
        ("rows.html", ROWS.into()),
    ]
}
