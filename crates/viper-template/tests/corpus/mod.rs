//! The differential corpus: hand-written cases per feature plus generated ones.

pub(crate) mod runner;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Opts {
    pub lenient: bool,
    pub no_autoescape: bool,
    pub trim: bool,
    pub lstrip: bool,
    pub keep_nl: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Case {
    pub main: String,
    pub extra: Vec<(String, String)>,
    pub ctx: String,
    pub opts: Opts,
}

const CTX: &str = r#"{"name": "World", "html": "<b>&\"'</b>", "n": 7, "neg": -3, "f": 2.5,
 "zero": 0, "items": [3, 1, 2], "words": ["banana", "Apple", "cherry"],
 "users": [{"name": "ann", "age": 31, "admin": true}, {"name": "Bob", "age": 25, "admin": false},
           {"name": "cy", "age": 40, "admin": false}],
 "d": {"b": 2, "a": 1, "c": [1, 2]}, "empty": [], "nothing": null, "t": true, "s": "  Hello World  ",
 "long": "The quick brown fox jumps over the lazy dog and keeps running far away",
 "url": "a b&c=d/é?", "big": 12345678901, "tiny": 0.0001, "pairs": [["a", 1], ["b", 2]]}"#;

fn case(main: &str) -> Case {
    Case {
        main: main.to_string(),
        extra: Vec::new(),
        ctx: CTX.to_string(),
        opts: Opts::default(),
    }
}

fn with(main: &str, opts: Opts) -> Case {
    Case { opts, ..case(main) }
}

fn multi(main: &str, extra: &[(&str, &str)]) -> Case {
    Case {
        extra: extra
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        ..case(main)
    }
}

const HAND: &[&str] = &[
    // output and escaping
    "Hello {{ name }}!",
    "{{ html }}",
    "{{ html|safe }}",
    "{{ html|e }}",
    "{{ html|escape|escape }}",
    "{% autoescape false %}{{ html }}{% endautoescape %}",
    "{% autoescape false %}{{ html ~ '<i>' }}{% endautoescape %}{{ html }}",
    "{{ nothing }} {{ t }} {{ n }} {{ f }} {{ big }} {{ tiny }}",
    "{{ items }} {{ d }} {{ words }}",
    "{{ pairs }} {{ (1, 'a') }} {{ (1,) }} {{ () }}",
    "{{ 'it\\'s' }} {{ \"say \\\"hi\\\"\" }} {{ ['it\\'s', \"x\\ny\"] }}",
    "{# a comment #}x{# another {{ not }} #}y",
    "{% raw %}{{ not a var }}{% endraw %}",
    "a {% raw -%}  {{ x }}  {%- endraw %} b",
    // literals and arithmetic
    "{{ 1 + 2 }} {{ 7 - 10 }} {{ 3 * 4 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }}",
    "{{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }}",
    "{{ 1.5 + 1 }} {{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 10 / 4 }} {{ 1e3 }} {{ 1_000 }} {{ 2.5e-5 }}",
    "{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1e20 * 10 }} {{ 123456789.0 * 1000000000 }}",
    "{{ -n }} {{ +n }} {{ - -n }} {{ -f }} {{ not t }} {{ not nothing }}",
    "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ [1] * 3 }} {{ [1, 2] + [3] }}",
    "{{ 'a' + 'b' }} {{ html ~ '&' }} {{ html|safe ~ '&' }} {{ '&' + html|safe }}",
    "{{ 1 + 'a' }}",
    "{{ 1 / 0 }}",
    "{{ 1 // 0 }}",
    "{{ 5 % 0 }}",
    "{{ {'a': 1, 'b': [1, 2]} }} {{ {'a': 1}['a'] }} {{ [1, 2, 3][1] }} {{ [1, 2, 3][-1] }}",
    "{{ true }} {{ True }} {{ false }} {{ none }} {{ None }}",
    "{{ 'a' 'b' }}",
    // comparisons and logic
    "{{ 1 < 2 }} {{ 2 <= 1 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}",
    "{{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ none == none }} {{ 1 == '1' }} {{ true == 1 }}",
    "{{ 1 < 'a' }}",
    "{{ 2 in items }} {{ 5 not in items }} {{ 'ell' in name }} {{ 'a' in d }} {{ 'z' in d }}",
    "{{ 0 or 'x' }} {{ 1 and 2 }} {{ '' and 1 }} {{ none or [] }} {{ t and n }}",
    "{{ 'yes' if t else 'no' }} {{ 'yes' if zero else 'no' }} {{ n if n > 5 else 0 }}",
    "{{ 'a' if false }}",
    "{{ not 1 == 2 }} {{ not (1 == 2) }} {{ -2 ** 2 }} {{ (-2) ** 2 }}",
    // variables, attributes, items
    "{{ d.a }} {{ d['b'] }} {{ d.c[1] }} {{ users[0].name }} {{ users[1]['age'] }} {{ items.0 }}",
    "{{ missing }}",
    "{{ d.missing }}",
    "{{ missing.attr }}",
    "{{ d.missing|default('dflt') }} {{ missing|default('x') }} {{ missing|d }}",
    "{{ ''|default('empty', true) }} {{ 0|default('zero') }} {{ nothing|default('n', boolean=true) }}",
    "{% if missing is defined %}yes{% else %}no{% endif %}{{ missing is undefined }}",
    "{% if missing %}x{% endif %}",
    "{% for x in missing %}{{ x }}{% endfor %}",
    // if
    "{% if n > 5 %}big{% elif n > 2 %}mid{% else %}small{% endif %}",
    "{% if zero %}a{% elif nothing %}b{% elif empty %}c{% else %}d{% endif %}",
    "{% if items %}has{% endif %}{% if not empty %}none{% endif %}{% if d %}map{% endif %}",
    "{% if t %}{% if n == 7 %}seven{% endif %}{% endif %}",
    // for
    "{% for i in items %}{{ i }},{% endfor %}",
    "{% for i in items %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }} {% endfor %}",
    "{% for i in empty %}x{% else %}empty!{% endfor %}",
    "{% for k in d %}{{ k }}{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for k in d.keys() %}{{ k }}{% endfor %}{% for v in d.values() %}{{ v }}{% endfor %}",
    "{{ d.items()|list }} {{ d.keys()|list }} {{ d.values()|list }}",
    "{% for a, b in pairs %}{{ a }}{{ b }}{% endfor %}",
    "{% for c in 'héllo' %}[{{ c }}]{% endfor %}",
    "{% for u in users if u.age > 30 %}{{ u.name }}{{ loop.index }}/{{ loop.length }} {% endfor %}",
    "{% for u in users %}{% for i in items %}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}",
    "{% for u in users %}{{ loop.cycle('odd', 'even') }} {% endfor %}",
    "{% for a, b in items %}{% endfor %}",
    "{% for i in n %}{% endfor %}",
    "{% for x in [1, 2] %}{% set y = x * 2 %}{{ y }}{% endfor %}{{ y is defined }}",
    "{% set total = 0 %}{% for x in items %}{% set total = total + x %}{% endfor %}{{ total }}",
    // set
    "{% set x = 5 %}{{ x }}{% set x = x + 1 %}{{ x }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}",
    "{% set a, b = pairs[0] %}{{ a }}{{ b }}",
    "{% set t2 = (1, 2) %}{{ t2 }}{% set l = [name, n] %}{{ l }}",
    "{% set block %}<b>{{ name }}</b>{% endset %}{{ block }}{{ block|length }}",
    "{% set x %}{{ html }}{% endset %}{{ x }}",
    // macros
    "{% macro hi(who, greet='Hello') %}{{ greet }}, {{ who }}!{% endmacro %}{{ hi('ann') }} {{ hi('bob', 'Yo') }} {{ hi(greet='Hey', who='cy') }}",
    "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(html) }}{{ m('&')|upper }}",
    "{% macro li(items) %}{% for i in items %}<li>{{ i }}</li>{% endfor %}{% endmacro %}<ul>{{ li(words) }}</ul>",
    "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}",
    "{% macro m(a, b) %}{{ a }}{% endmacro %}{{ m(1) }}",
    "{% macro m() %}{{ name }}{% endmacro %}{{ m() }}",
    "{{ name() }}",
    // filters with arguments
    "{{ words|join(', ') }} {{ items|join }} {{ users|join(', ', attribute='name') }}",
    "{{ [html, html|safe]|join('|') }} {{ [html, 'x']|join('<br>') }}",
    "{{ name|replace('o', '0') }} {{ long|replace(' ', '_', 3) }} {{ html|replace('<', '[') }}",
    "{{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '-') }}",
    "{{ long|truncate(20) }}|{{ long|truncate(20, true) }}|{{ long|truncate(20, false, '..') }}",
    "{{ long|truncate(66) }}|{{ long|truncate(64) }}|{{ long|truncate(10, leeway=0) }}",
    "{{ 'hello world'|truncate(9) }}|{{ 'hello world'|truncate(3) }}|{{ 'hello'|truncate(2) }}",
    "{{ f|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 1.23456|round(3) }} {{ 7|round }}",
    "{{ 2.1|round(method='ceil') }} {{ 2.9|round(0, 'floor') }} {{ -2.5|round }} {{ 0.5|round }}",
    "{{ 1.5|round }} {{ 1234.5678|round(-2) }}",
    "{{ '42'|int }} {{ '3.7'|int }} {{ 'x'|int }} {{ 'x'|int(5) }} {{ 3.9|int }} {{ '0x1A'|int(0, 16) }} {{ 'ff'|int(base=16) }}",
    "{{ '3.5'|float }} {{ 'a'|float }} {{ 'a'|float(1.5) }} {{ 3|float }} {{ '1e3'|float }}",
    "{{ users|sort(attribute='age')|map_missing }}",
    "{{ words|sort }} {{ words|sort(true) }} {{ words|sort(case_sensitive=true) }} {{ items|sort(reverse=true) }}",
    "{% for u in users|sort(attribute='name') %}{{ u.name }}{% endfor %}",
    "{{ [3, 'a']|sort }}",
    "{{ items|reverse|list }} {{ name|reverse }} {{ items|first }} {{ items|last }} {{ name|first }}",
    "{{ empty|first }}",
    "{{ name|list }} {{ d|list }} {{ d|length }} {{ name|length }} {{ items|count }}",
    "{{ s|trim }}|{{ s|trim('  Hd') }}|{{ '--x--'|trim('-') }}",
    "{{ name|upper }} {{ name|lower }} {{ 'hello WORLD'|capitalize }} {{ 'ßtraße'|upper }}",
    "{{ 'hello world-foo (bar) [baz] {qux} <x>y'|title }} {{ \"it's a dog's life\"|title }}",
    "{{ d|tojson }} {{ html|tojson }} {{ [1, 2.5, none, true, 'é']|tojson }} {{ users[0]|tojson }}",
    "{{ {'b': {'z': 1, 'a': [1.0, 1e20]}}|tojson }} {{ \"\\n\\t\"|tojson }}",
    "{{ url|urlencode }} {{ d|urlencode }} {{ pairs|urlencode }} {{ 42|urlencode }} {{ 'a/b c'|urlencode }}",
    "{{ {'a b': 'c&d', 'é': '/'}|urlencode }}",
    "{{ neg|abs }} {{ -2.5|abs }} {{ n|string ~ 'x' }}",
    "{{ name|nosuchfilter }}",
    "{{ items|join(', ')|upper|replace('1', 'one') }}",
    "{{ -1|abs }}",
    // tests
    "{{ n is odd }} {{ n is even }} {{ 10 is divisibleby 5 }} {{ 10 is divisibleby(3) }} {{ n is not even }}",
    "{{ name is string }} {{ n is number }} {{ f is number }} {{ d is mapping }} {{ items is sequence }} {{ name is sequence }} {{ n is sequence }}",
    "{{ nothing is none }} {{ n is none }} {{ t is boolean }} {{ n is integer }} {{ f is float }}",
    "{{ n is eq 7 }} {{ n is ne(7) }} {{ 3 is lt 4 }} {{ 'a' is in 'abc' }} {{ 'abc' is lower }} {{ 'ABC' is upper }}",
    "{{ name is odd }}",
    "{{ x is nosuchtest }}",
    "{% if n is divisibleby 7 and name is string %}ok{% endif %}",
    // syntax errors
    "{% if %}",
    "{% if t %}unclosed",
    "{% for %}{% endfor %}",
    "{{ }}",
    "{{ 1 + }}",
    "{% endif %}",
    "{% unknown %}",
    "{{ 'unterminated }}",
    "{% block a %}{% endblock %}{% block a %}{% endblock %}",
    "{{ (1 }}",
    "{{ a.b.c.d }}",
    "{% macro m(a=1, b) %}{% endmacro %}",
    // printing containers and floats (streamed through the escaper)
    "{{ [html] }} {{ {'k': html} }} {{ (html,) }} {{ [html|safe] }} {{ [none, true, 1.5, \"it's\"] }}",
    "{{ 1e15 }} {{ 1e16 }} {{ 123456.789 }} {{ -0.0001 }} {{ 0.00001 }} {{ 1e-4 }} {{ 9999999999999998.0 }}",
    "{{ 0.1 * 3 }} {{ 1 / 7 }} {{ 2.0 ** 60 }} {{ -1e300 * 10 }} {{ 100.0 }} {{ 5e-324 }}",
    "{{ 2.675|round(2) }} {{ 0.125|round(2) }} {{ 1e300|round(2) }} {{ 123.456|round(200) }}",
    "{{ [1, [2, 3]] == [1, [2, 3]] }} {{ [1, 2] < [1, 2, 0] }} {{ (1, 'a') < (1, 'b') }} {{ {'a': [1]} == {'a': [1]} }}",
    "{{ [[1, 2], [1, 2]] == [[1, 2], [1, 3]] }} {{ [1, 2] in [[1, 2]] }} {{ words|join(html|safe) }}",
    "{{ 'x'|replace('x', html) }} {{ html|replace('<', html) }} {{ html|safe|replace('b', '<i>') }}",
    "{{ 'ab' * 200 }}|{{ ('-' * 300)|length }}|{{ ([0] * 300)|length }}",
    "{{ [0] * 3|length }}",
    "{{ html ~ [html] ~ (html|safe) }} {{ (html|safe) ~ {'a': html} }}",
    "{{ users|sort(attribute='age', reverse=true)|join(',', attribute='name') }}",
    // markup through filters, iteration and indexing (MarkupSafe's rules)
    "{{ (html|safe)|title }}|{{ (html|safe)|first }}|{{ (html|safe)|last }}|{{ (html|safe)[0] }}|{{ (html|safe)[1] }}",
    "{{ (html|safe)|list }}|{% for c in html|safe %}{{ c }}{% endfor %}|{{ (html|safe)|join('.') }}",
    "{{ (html|safe)|truncate(5, true) }}|{{ (long|safe)|truncate(20, false, '<>') }}|{{ long|truncate(20, false, '<>') }}",
    "{{ (html|e)|replace('&', '+') }}|{{ (html|safe)|replace('<', '&') }}|{{ html|replace('&', html|safe) }}",
    "{{ '<' ~ ('<'|safe) }}|{{ ('<'|safe) }}|{{ '<'|safe ~ '' }}|{{ name ~ ('<'|safe) }}|{{ ('<'|e)|upper }}",
    "{% for x in items %}{{ loop }}{% endfor %}",
    // integer literal forms
    "{{ 0x1F }} {{ 0o17 }} {{ 0b1_01 }} {{ 0xff_ff }} {{ 1_000_000 }} {{ 0 }} {{ 00 }} {{ 0.5e1 }}",
    "{{ 012 }}",
    "{{ 0x }}",
    // str.islower()/isupper(), identity, iterable, escaped
    "{{ 'abc' is lower }} {{ 'aBc' is lower }} {{ '' is lower }} {{ '1' is lower }} {{ 'a1' is lower }} {{ 'ß' is lower }}",
    "{{ 'ABC' is upper }} {{ '' is upper }} {{ 'A1!' is upper }} {{ n is upper }} {{ html is upper }}",
    "{{ name is sameas name }} {{ items is sameas items }} {{ 1 is sameas 1 }} {{ 1000 is sameas 1000 }} {{ none is sameas false }}",
    "{{ name is iterable }} {{ items is iterable }} {{ d is iterable }} {{ n is iterable }} {{ nothing is iterable }}",
    "{{ html is escaped }} {{ html|e is escaped }} {{ html|safe is escaped }} {{ n is escaped }}",
    // whitespace control
    "a  {{- name -}}  b",
    "a\n  {%- if t -%}\n  yes\n  {%- endif -%}\n  b",
    "<ul>\n{% for i in items %}\n  <li>{{ i }}</li>\n{% endfor %}\n</ul>\n",
    "x {#- comment -#} y",
    "{%- if t %} a {% endif -%} ",
    "line1\nline2\n",
    "line1\r\nline2\r\n",
    "  {% if t %}\n    x\n  {% endif %}\n",
    "  {%+ if t %}x{% endif +%}\n  y",
];

fn hand() -> Vec<Case> {
    let mut v: Vec<Case> = HAND.iter().map(|t| case(t)).collect();
    let ws = [
        "<ul>\n{% for i in items %}\n  <li>{{ i }}</li>\n{% endfor %}\n</ul>\n",
        "  {% if t %}\n    x\n  {% endif %}\n  {# c #}\n  y\n",
        "{% if t %}\n{{ n }}\n{% endif %}\n",
        "  {%+ if t %}x{% endif +%}\n  y",
        "a\n    {% raw %}\n  r\n    {% endraw %}\nb",
        "text\n\t{% set x = 1 %}\n\t{{ x }}\n",
        "{% for i in items -%}\n  {{ i }}\n{%- endfor %}\n\n",
    ];
    for t in ws {
        for (trim, lstrip, keep_nl) in [
            (true, false, false),
            (false, true, false),
            (true, true, false),
            (false, false, true),
            (true, true, true),
        ] {
            v.push(with(
                t,
                Opts {
                    trim,
                    lstrip,
                    keep_nl,
                    ..Opts::default()
                },
            ));
        }
    }
    let lenient = Opts {
        lenient: true,
        ..Opts::default()
    };
    for t in [
        "[{{ missing }}]",
        "{% if missing %}x{% else %}y{% endif %}",
        "{% for x in missing %}x{% else %}none{% endfor %}",
        "{{ missing|length }}{{ missing|upper }}|{{ missing|default('d') }}",
        "{{ missing.attr }}",
        "{{ missing + 1 }}",
        "{{ d.zz }}|{{ users[9] }}|{{ missing ~ 'x' }}",
        "{{ missing == missing }} {{ missing is defined }}",
    ] {
        v.push(with(t, lenient));
    }
    let raw = Opts {
        no_autoescape: true,
        ..Opts::default()
    };
    for t in [
        "{{ html }} {{ html|e }} {{ html|safe }}",
        "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(html) }}",
        "{% set b %}<{{ html }}>{% endset %}{{ b }}",
        "{{ [html, 'x']|join('<br>') }} {{ html|replace('<', '[') }} {{ html ~ '<' }}",
        "{% autoescape true %}{{ html }}{% endautoescape %}{{ html }}",
    ] {
        v.push(with(t, raw));
    }
    // scoping and whitespace corners
    let lay = "A{% block a %}1{% endblock %}B{% block b %}2{% endblock %}C";
    let inc = "[{{ n }}{% set n = 9 %}{{ n }}]";
    for (t, o) in [
        ("{% set n = 1 %}{% include 'inc' %}{{ n }}", Opts::default()),
        ("{% for n in items %}{% include 'inc' %}{% endfor %}", Opts::default()),
        ("{% macro m() %}{{ n }}{% set n = 3 %}{{ n }}{% endmacro %}{{ m() }}{{ n }}", Opts::default()),
        ("{% set y = 7 %}{% macro m() %}{{ y }}{% endmacro %}{{ m() }}", Opts::default()),
        ("{% macro m() %}{{ y }}{% endmacro %}{% set y = 7 %}{{ m() }}", Opts::default()),
        ("{% extends 'lay' %}{% block b %}[{{ super() }}{{ super() }}]{% endblock %}", Opts::default()),
        ("{% extends 'lay' %}{% set z = 4 %}{% block a %}{{ z }}{% endblock %}", Opts::default()),
        ("{% extends 'lay' %}{% block a %}{% for i in items %}{{ loop.index }}{% endfor %}{% endblock %}", Opts::default()),
        ("{% extends 'lay' %}{% extends 'lay' %}", Opts::default()),
        ("{% for i in items %}{% block a %}{{ i }}{% endblock %}{% endfor %}", Opts::default()),
        ("  {%- if t %}\n  a\n  {%- endif %}\n", Opts { trim: true, ..Opts::default() }),
        ("a\n{# c #}\nb", Opts { trim: true, lstrip: true, ..Opts::default() }),
        ("a\n  {# c #}\nb", Opts { lstrip: true, ..Opts::default() }),
        ("a\n  {{ n }}\nb", Opts { lstrip: true, trim: true, ..Opts::default() }),
        ("x {%+ if t %}y{% endif %}", Opts { lstrip: true, ..Opts::default() }),
        ("x\n {%- if t +%}\ny{% endif %}", Opts { trim: true, ..Opts::default() }),
        ("\r\n\r\n", Opts { keep_nl: true, ..Opts::default() }),
        ("{% if t %}\r\nX\r\n{% endif %}\r\n", Opts { trim: true, ..Opts::default() }),
        ("{{ n }}{#\n multi\n line #}{{ n }}{%- set a = 1 -%}  {{ a }}  ", Opts::default()),
    ] {
        v.push(Case {
            opts: o,
            ..multi(t, &[("lay", lay), ("inc", inc)])
        });
    }
    // includes, layouts, macros across templates
    let base = "<html><title>{% block title %}Default{% endblock %}</title>\
<body>{% block body %}<p>base body</p>{% endblock %}{% block footer %}(c) {{ name }}{% endblock %}</body></html>";
    v.push(multi(
        "{% extends 'base' %}{% block title %}Child {{ n }}{% endblock %}",
        &[("base", base)],
    ));
    v.push(multi(
        "{% extends 'base' %}{% block body %}{{ super() }}<p>more</p>{% endblock %}{% block footer %}[{{ super() }}]{% endblock %}",
        &[("base", base)],
    ));
    v.push(multi(
        "{% extends 'mid' %}{% block title %}Leaf|{{ super() }}{% endblock %}",
        &[
            ("base", base),
            ("mid", "{% extends 'base' %}{% block title %}Mid|{{ super() }}{% endblock %}{% block body %}mid body{% endblock %}"),
        ],
    ));
    v.push(multi(
        "{% extends 'base' %}ignored text{% block body %}{% for u in users %}{{ u.name }}{% endfor %}{% endblock %}",
        &[("base", base)],
    ));
    v.push(multi(
        "{% extends layout %}{% block body %}dyn{% endblock %}",
        &[("base", base)],
    ));
    v.push(Case {
        ctx: r#"{"layout": "base", "name": "x"}"#.into(),
        ..multi(
            "{% extends layout %}{% block body %}dyn{% endblock %}",
            &[("base", base)],
        )
    });
    v.push(multi("{% extends 'nope' %}", &[("base", base)]));
    v.push(multi(
        "{% macro row(u) %}<tr>{{ u.name }}</tr>{% endmacro %}{% extends 'base' %}{% block body %}{% for u in users %}{{ row(u) }}{% endfor %}{% endblock %}",
        &[("base", base)],
    ));
    v.push(multi(
        "<div>{% include 'part' %}</div>",
        &[("part", "<p>{{ name }} {{ n * 2 }}</p>")],
    ));
    v.push(multi(
        "{% for u in users %}{% include 'row' %}{% endfor %}",
        &[("row", "<li>{{ loop.index }}:{{ u.name }}</li>\n")],
    ));
    v.push(multi(
        "{% set greeting = 'hey' %}{% include 'g' %}",
        &[("g", "{{ greeting }} {{ name }}")],
    ));
    v.push(multi("{% include 'missing' %}", &[]));
    v.push(multi("{% include 'missing' ignore missing %}ok", &[]));
    v.push(multi(
        "{% include ['missing', 'part'] %}",
        &[("part", "found")],
    ));
    v.push(multi(
        "{% include 'a' %}",
        &[("a", "a{% include 'b' %}"), ("b", "b{{ html }}")],
    ));
    v.push(multi(
        "{% include 'self' %}",
        &[("self", "x{% include 'self' %}")],
    ));
    v.push(multi(
        "{% extends 'base' %}{% block body %}{% include 'part' %}{% endblock %}",
        &[("base", base), ("part", "[{{ name|upper }}]")],
    ));
    v.push(multi(
        "{% extends 'base' %}{% block title %}{% block inner %}in{% endblock %}!{% endblock %}",
        &[("base", base)],
    ));
    v
}

/// Values for the generated filter/test/operator matrix (Jinja2 literal syntax).
const VALUES: &[&str] = &[
    "0",
    "3",
    "-7",
    "2.5",
    "-0.5",
    "1e16",
    "'ab'",
    "''",
    "'Hello wOrld'",
    "' a b '",
    "[1, 2]",
    "[]",
    "true",
    "none",
    "html",
    "d",
    "words",
    "'<&>'",
    "12345678901",
    "0.1",
];

const OPS: &[&str] = &[
    "+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">=", "in", "and", "or",
];

const FILTERS: &[&str] = &[
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "length",
    "first",
    "last",
    "list",
    "reverse|list",
    "sort",
    "tojson",
    "urlencode",
    "escape",
    "int",
    "float",
    "round",
    "join",
    "default",
    "abs",
    "string",
    "round(1)",
    "join('-')",
    "truncate(5)",
    "replace('a', 'x')",
];

const TESTS: &[&str] = &[
    "defined",
    "none",
    "even",
    "odd",
    "divisibleby 3",
    "string",
    "number",
    "mapping",
    "sequence",
];

fn generated() -> Vec<Case> {
    let mut v = Vec::new();
    for f in FILTERS {
        for x in VALUES {
            v.push(case(&format!("{{{{ {x}|{f} }}}}")));
        }
    }
    for t in TESTS {
        for x in VALUES {
            v.push(case(&format!("{{{{ {x} is {t} }}}}")));
        }
    }
    let small = ["3", "-7", "2.5", "'ab'", "[1, 2]", "none", "0", "true"];
    for op in OPS {
        for a in small {
            for b in small {
                if *op == "%" && a.starts_with('\'') {
                    continue; // printf-style string formatting is not supported
                }
                v.push(case(&format!("{{{{ {a} {op} {b} }}}}")));
            }
        }
    }
    v
}

/// Filters, tests, operators and statements applied to an undefined variable, in strict
/// and in lenient mode (what fails, what prints as nothing, what is false).
fn undefined_cases() -> Vec<Case> {
    let ops = [
        "missing + 1",
        "1 + missing",
        "missing ~ 1",
        "missing == 1",
        "missing != missing",
        "missing in [1]",
        "1 in missing",
        "missing in d",
        "'a' in missing",
        "-missing",
        "missing * 2",
        "[missing]",
        "{'a': missing}",
        "missing if true",
        "(missing, 1)",
        "missing.a",
        "missing['a']",
        "missing()",
        "items[missing]",
        "d[missing]",
        "missing < 1",
        "not missing",
        "missing or 'x'",
        "missing and 'x'",
    ];
    let statements = [
        "{% for a in missing %}{{ a }}{% else %}empty{% endfor %}",
        "{% if missing %}y{% else %}n{% endif %}",
        "{% set a, b = missing %}",
        "{% include missing %}",
        "{% extends missing %}",
        "{{ [1]|join(missing) }}",
        "{{ 'a'|replace(missing, 'b') }}",
        "{{ [missing]|join }}",
        "{{ [1, missing]|sort }}",
        "{{ [missing]|tojson }}",
        "{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}",
        "{{ missing|default(missing) }}",
        "{{ missing|trim(missing) }}",
        "{{ 'abc'|truncate(2, false, missing) }}",
        "{% autoescape missing %}x{% endautoescape %}",
    ];
    let mut v = Vec::new();
    for lenient in [false, true] {
        let opts = Opts {
            lenient,
            ..Opts::default()
        };
        let mut add = |t: String| v.push(with(&t, opts));
        for f in FILTERS {
            add(format!("{{{{ missing|{f} }}}}"));
        }
        for t in TESTS {
            add(format!("{{{{ missing is {t} }}}}"));
        }
        for t in [
            "undefined",
            "boolean",
            "sameas none",
            "iterable",
            "escaped",
            "lower",
        ] {
            add(format!("{{{{ missing is {t} }}}}"));
        }
        for o in ops {
            add(format!("{{{{ {o} }}}}"));
        }
        for st in statements {
            add(st.to_string());
        }
    }
    v
}

/// Every case, in a fixed order.
#[allow(dead_code)] // used by the test, not by viper-conformance-jinja
pub(crate) fn all() -> Vec<Case> {
    let mut v = hand();
    v.extend(generated());
    v.extend(undefined_cases());
    v
}

/// Every case with the name of its group (for the conformance runner's report).
#[allow(dead_code)] // used by viper-conformance-jinja, not by the test
pub(crate) fn grouped() -> Vec<(&'static str, Vec<Case>)> {
    let generated = generated();
    let filters = FILTERS.len() * VALUES.len();
    let tests = TESTS.len() * VALUES.len();
    let mut rest = generated.into_iter();
    let mut take = |n: usize| rest.by_ref().take(n).collect::<Vec<_>>();
    vec![
        ("hand-written", hand()),
        ("generated: filters × values", take(filters)),
        ("generated: tests × values", take(tests)),
        ("generated: operators × operands", take(usize::MAX)),
        (
            "generated: undefined, strict and lenient",
            undefined_cases(),
        ),
    ]
}
