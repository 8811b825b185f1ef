//! Unit tests per construct, limits, errors and the cache, through the public API.

use proptest::prelude::*;
use viper_template::{Config, Environment, ErrorKind, Loader, MapLoader, Source, Value};

fn env_with(templates: &[(&str, &str)], config: Config) -> Environment<MapLoader> {
    let mut l = MapLoader::new();
    for (n, s) in templates {
        l.insert(*n, *s);
    }
    Environment::with_config(l, config)
}

fn render(src: &str, ctx: &Value) -> Result<String, viper_template::Error> {
    env_with(&[("t", src)], Config::default()).render("t", ctx)
}

fn ok(src: &str) -> String {
    render(src, &ctx()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn ctx() -> Value {
    Value::map([
        ("name", Value::from("Ann")),
        ("xs", Value::list([1, 2, 3])),
        ("html", Value::from("<p>")),
        (
            "user",
            Value::map([("name", Value::from("bob")), ("age", Value::from(30))]),
        ),
    ])
}

#[test]
fn prints_and_escapes() {
    assert_eq!(ok("Hi {{ name }}"), "Hi Ann");
    assert_eq!(ok("{{ html }}|{{ html|safe }}"), "&lt;p&gt;|<p>");
    assert_eq!(
        ok("{% autoescape false %}{{ html }}{% endautoescape %}"),
        "<p>"
    );
    assert_eq!(ok("{# c #}{% raw %}{{ x }}{% endraw %}"), "{{ x }}");
}

#[test]
fn expressions() {
    assert_eq!(
        ok("{{ 7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 2 ** 8 }}"),
        "3 3.5 2 256"
    );
    assert_eq!(
        ok("{{ 'a' ~ 1 }} {{ [1] + [2] }} {{ 1 < 2 < 3 }}"),
        "a1 [1, 2] True"
    );
    assert_eq!(
        ok("{{ 2 in xs }} {{ 'x' not in name }} {{ 1 if xs else 2 }}"),
        "True True 1"
    );
    assert_eq!(
        ok("{{ user.name }} {{ user['age'] }} {{ xs[-1] }} {{ xs.0 }}"),
        "bob 30 3 1"
    );
    assert_eq!(
        ok("{{ 3 is odd }} {{ user is mapping }} {{ nope is defined }}"),
        "True True False"
    );
}

#[test]
fn statements() {
    assert_eq!(
        ok("{% for x in xs %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}"),
        "11,22,33"
    );
    assert_eq!(ok("{% for x in [] %}a{% else %}b{% endfor %}"), "b");
    assert_eq!(
        ok("{% for k, v in user.items() %}{{ k }}={{ v }} {% endfor %}"),
        "name=bob age=30 "
    );
    assert_eq!(ok("{% set a, b = 1, 2 %}{{ a + b }}"), "3");
    assert_eq!(
        ok("{% macro m(x, y=2) %}{{ x * y }}{% endmacro %}{{ m(3) }} {{ m(3, y=3) }}"),
        "6 9"
    );
    assert_eq!(ok("{% if 0 %}a{% elif 1 %}b{% else %}c{% endif %}"), "b");
}

#[test]
fn layouts_and_includes() {
    let env = env_with(
        &[
            (
                "base",
                "[{% block a %}A{% endblock %}|{% block b %}B{% endblock %}]",
            ),
            (
                "child",
                "{% extends 'base' %}{% block b %}<{{ super() }}>{% include 'inc' %}{% endblock %}",
            ),
            ("inc", "({{ name }})"),
        ],
        Config::default(),
    );
    assert_eq!(env.render("child", &ctx()).unwrap(), "[A|<B>(Ann)]");
}

#[test]
fn strict_and_lenient_undefined() {
    let e = render("line one\n  {{ missing }}", &ctx()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Undefined);
    assert!(e.message().contains("missing"), "{e}");
    assert_eq!((e.template(), e.line(), e.column()), ("t", 2, 6));
    let env = env_with(
        &[("t", "[{{ missing }}]{% if missing %}x{% endif %}")],
        Config {
            strict_undefined: false,
            ..Config::default()
        },
    );
    assert_eq!(env.render("t", &ctx()).unwrap(), "[]");
}

#[test]
fn syntax_errors_have_positions() {
    let e = render("ok\n{% if %}", &Value::NONE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(e.line(), 2);
    let e = render("{{ x|nosuch }}", &Value::NONE).unwrap_err();
    assert!(e.message().contains("nosuch"));
}

#[test]
fn limits_terminate_hostile_templates() {
    let cfg = Config {
        max_output_bytes: 1000,
        max_loop_iterations: 50,
        max_depth: 5,
        max_nesting: 10,
        ..Config::default()
    };
    let env = env_with(
        &[
            ("out", "{% for x in xs %}{{ 'a' * 400 }}{% endfor %}"),
            ("loops", "{% for a in xs %}{% for b in xs %}{% for c in xs %}{% for d in xs %}.{% endfor %}{% endfor %}{% endfor %}{% endfor %}"),
            ("rec", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"),
            ("self", "{% include 'self' %}"),
            ("deep", "{{ ((((((((((((1)))))))))))) }}"),
            ("big", "{{ 'a' * 100000 }}"),
        ],
        cfg,
    );
    let c = ctx();
    let expect = |name: &str| {
        let e = env.render(name, &c).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{name}: {e}");
    };
    for n in ["out", "loops", "rec", "self", "deep", "big"] {
        expect(n);
    }
}

#[test]
fn path_traversal_is_rejected() {
    let env = env_with(&[("t", "{% include '../etc/passwd' %}")], Config::default());
    let e = env.render("t", &Value::NONE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TemplateNotFound);
    assert!(env.render("/abs", &Value::NONE).is_err());
}

/// `a` has 10 items, `b` 10 × a, … `i` unfolds to 10^9 items from a few hundred bytes.
const SHARED: &str = "{% set a = [1,2,3,4,5,6,7,8,9,10] %}{% set b = [a,a,a,a,a,a,a,a,a,a] %}\
{% set c = [b,b,b,b,b,b,b,b,b,b] %}{% set d = [c,c,c,c,c,c,c,c,c,c] %}{% set e = [d,d,d,d,d,d,d,d,d,d] %}\
{% set f = [e,e,e,e,e,e,e,e,e,e] %}{% set g = [f,f,f,f,f,f,f,f,f,f] %}{% set h = [g,g,g,g,g,g,g,g,g,g] %}\
{% set i = [h,h,h,h,h,h,h,h,h,h] %}";

#[test]
fn values_that_unfold_exponentially_hit_limits() {
    let twin =
        "{% set a2 = [1,2,3,4,5,6,7,8,9,10] %}{% set b2 = [a2] * 10 %}{% set c2 = [b2] * 10 %}\
{% set d2 = [c2] * 10 %}{% set e2 = [d2] * 10 %}{% set f2 = [e2] * 10 %}{% set g2 = [f2] * 10 %}\
{% set h2 = [g2] * 10 %}{% set i2 = [h2] * 10 %}";
    let cases = [
        ("{{ i }}", true),
        ("{{ i ~ '' }}", true),
        ("{{ i|string }}", true),
        ("{{ i|tojson }}", true),
        ("{{ [i]|join }}", true),
        ("{{ i|upper }}", true),
        ("{{ {'k': i}|urlencode }}", true),
        ("{{ [i, i]|sort }}", true),
        ("{{ i == i2 }}", true),
        ("{{ i in [i2] }}", true),
        // The same object compares equal without unfolding, as in Python.
        ("{{ i == i }}", false),
    ];
    for autoescape in [true, false] {
        for (tail, fails) in cases {
            let cfg = Config {
                autoescape,
                max_output_bytes: 64 * 1024,
                ..Config::default()
            };
            let env = env_with(&[("t", &format!("{SHARED}{twin}{tail}"))], cfg);
            match env.render("t", &Value::NONE) {
                Err(e) => {
                    assert!(fails, "{tail}: {e}");
                    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{tail}: {e}");
                    assert_eq!(e.template(), "t");
                    assert!(e.line() == 1 && e.column() > 500, "{tail}: {e}");
                }
                Ok(out) => assert!(!fails && out == "True", "{tail}: {out:.80}"),
            }
        }
    }
}

#[test]
fn a_missing_item_error_quotes_a_huge_key_briefly() {
    let env = env_with(
        &[("t", &format!("{SHARED}{{{{ xs[i] }}}}"))],
        Config::default(),
    );
    let e = env
        .render("t", &Value::map([("xs", Value::list([1]))]))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Undefined);
    assert!(e.message().len() < 200, "{}", e.message());
}

#[test]
fn render_recursion_is_bounded_before_the_stack_is() {
    // Macro recursion is allowed to go deep (max_depth raised); max_recursion must stop it
    // with an error well inside the 2 MiB stack of a test thread, even in a debug build.
    let deep = "{% macro f(n) %}{{ n ~ f(n - 1) ~ n if n > 0 else (n|string|upper ~ \
                (n * (n + (n - (n // (n + 1)))))) }}{% endmacro %}{{ f(100000) }}";
    let nested = "{% macro f(n) %}{% if n > 0 %}{% for x in [1] %}{% if true %}{{ f(n - 1) }}\
                  {% endif %}{% endfor %}{% endif %}{% endmacro %}{{ f(100000) }}";
    for src in [deep, nested] {
        let env = env_with(
            &[("t", src)],
            Config {
                max_depth: 1_000_000,
                ..Config::default()
            },
        );
        let e = env.render("t", &Value::NONE).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
        assert!(e.message().contains("max_recursion"), "{e}");
        assert_eq!((e.template(), e.line()), ("t", 1));
    }
    // Statement bodies stacked through includes hit the limit while entering a body;
    // the error still names the template and the statement.
    let mut nested = String::new();
    for _ in 0..30 {
        nested.push_str("{% if true %}");
    }
    nested.push_str("{% include 'inner' %}");
    for _ in 0..30 {
        nested.push_str("{% endif %}");
    }
    let inner = nested.replace("'inner'", "'leaf'");
    let env = env_with(
        &[("t", &nested), ("inner", &inner), ("leaf", "x")],
        Config {
            max_recursion: 45,
            ..Config::default()
        },
    );
    let e = env.render("t", &Value::NONE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert!(e.message().contains("max_recursion (45)"), "{e}");
    assert_eq!((e.template(), e.line()), ("inner", 1), "{e}");
    assert!(e.column() > 1, "{e}");

    // A realistic depth renders.
    let env = env_with(
        &[(
            "t",
            "{% macro f(n) %}{% if n > 0 %}[{{ f(n - 1) }}]{% endif %}{% endmacro %}{{ f(10) }}",
        )],
        Config::default(),
    );
    assert_eq!(
        env.render("t", &Value::NONE).unwrap(),
        "[".repeat(10) + &"]".repeat(10)
    );
}

#[test]
fn extends_and_include_cycles_hit_max_depth() {
    let env = env_with(
        &[
            ("self_extends", "{% extends 'self_extends' %}"),
            ("ping", "{% extends 'pong' %}"),
            ("pong", "{% extends 'ping' %}"),
            ("inc_a", "a{% include 'inc_b' %}"),
            ("inc_b", "b{% include 'inc_a' %}"),
        ],
        Config::default(),
    );
    for name in ["self_extends", "ping", "inc_a"] {
        let e = env.render(name, &Value::NONE).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{name}: {e}");
        assert!(e.message().contains("max_depth (32)"), "{name}: {e}");
        assert!(!e.template().is_empty() && e.line() == 1, "{name}: {e}");
    }
}

#[test]
fn limit_errors_name_the_limit_and_where_it_was_hit() {
    let cfg = Config {
        max_output_bytes: 100,
        max_loop_iterations: 10,
        max_nesting: 8,
        max_source_bytes: 200,
        ..Config::default()
    };
    let env = env_with(
        &[
            ("out", "ok\n  {{ long }}"),
            ("loop", "ok\n\n {% for x in range %}{% endfor %}"),
            ("nest", "ok\n{{ [[[[[[[[[1]]]]]]]]] }}"),
            ("src", &"x".repeat(201)),
        ],
        cfg,
    );
    let long = "x".repeat(101);
    let ctx = Value::map([
        ("range", Value::list(0..20)),
        ("long", Value::from(long.as_str())),
    ]);
    for (name, field, line, col) in [
        ("out", "max_output_bytes", 2, 6),
        ("loop", "max_loop_iterations (10)", 3, 9),
        ("nest", "max_nesting (8)", 2, 0),
        ("src", "max_source_bytes (200)", 1, 1),
    ] {
        let e = env.render(name, &ctx).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{name}: {e}");
        assert!(e.message().contains(field), "{name}: {e}");
        assert_eq!((e.template(), e.line()), (name, line), "{name}: {e}");
        if col != 0 {
            assert_eq!(e.column(), col, "{name}: {e}");
        }
        assert!(e.to_string().starts_with(&format!("{name}:{line}:")), "{e}");
    }
}

#[test]
fn errors_point_into_the_template_that_failed() {
    let env = env_with(
        &[
            (
                "page",
                "{% extends 'layout' %}{% block body %}{% include 'row' %}{% endblock %}",
            ),
            ("layout", "<main>\n{% block body %}{% endblock %}</main>"),
            ("row", "<p>\n   {{ 1 // zero }}</p>"),
            (
                "macros",
                "{% macro m(x) %}\n\n{{ x.missing }}{% endmacro %}",
            ),
            ("uses", "{% include 'macros' %}{% from_nowhere %}"),
            (
                "calls",
                "{% macro m(x) %}\n{{ x + 'a' }}{% endmacro %}\n{{ m(1) }}",
            ),
        ],
        Config::default(),
    );
    let ctx = Value::map([("zero", 0)]);
    let e = env.render("page", &ctx).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Value);
    // The position of the failing operator.
    assert_eq!((e.template(), e.line(), e.column()), ("row", 2, 9), "{e}");
    let e = env.render("uses", &ctx).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!((e.template(), e.line(), e.column()), ("uses", 1, 26), "{e}");
    assert!(e.message().contains("from_nowhere"), "{e}");
    let e = env.render("calls", &ctx).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Type);
    assert_eq!((e.template(), e.line()), ("calls", 2), "{e}");
}

#[test]
fn streaming_writes_before_the_render_ends() {
    // The writer sees the first rows before a late error: nothing is held back.
    struct Log(Vec<String>);
    impl core::fmt::Write for Log {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0.push(s.to_string());
            Ok(())
        }
    }
    let env = env_with(
        &[("t", "{% for x in xs %}<{{ x }}>{% endfor %}{{ 1 // 0 }}")],
        Config::default(),
    );
    let mut log = Log(Vec::new());
    let e = env
        .get_template("t")
        .unwrap()
        .render_to(&ctx(), &mut log)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Value);
    assert_eq!(log.0.concat(), "<1><2><3>");
    assert!(log.0.len() >= 3, "{:?}", log.0);

    // A failing writer stops the render with a Write error.
    struct Full(usize);
    impl core::fmt::Write for Full {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0 = self.0.checked_sub(s.len()).ok_or(core::fmt::Error)?;
            Ok(())
        }
    }
    let e = env
        .get_template("t")
        .unwrap()
        .render_to(&ctx(), &mut Full(5))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Write);
}

#[test]
fn a_template_larger_than_the_cache_budget_is_compiled_but_not_kept() {
    let env = env_with(
        &[("big", &"y".repeat(5000)), ("small", "s")],
        Config {
            cache_bytes: 4096,
            ..Config::default()
        },
    );
    assert_eq!(env.render("big", &Value::NONE).unwrap().len(), 5000);
    assert_eq!(env.cache_len(), 0);
    env.render("small", &Value::NONE).unwrap();
    assert_eq!(env.cache_len(), 1);
    assert!(env.cache_size() <= 4096);
}

#[test]
fn whitespace_switches_apply_through_the_config() {
    let src = "<ul>\n  {% for x in xs %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>";
    let render_with = |trim_blocks, lstrip_blocks| {
        env_with(
            &[("t", src)],
            Config {
                trim_blocks,
                lstrip_blocks,
                ..Config::default()
            },
        )
        .render("t", &ctx())
        .unwrap()
    };
    assert_eq!(
        render_with(false, false),
        "<ul>\n  \n  <li>1</li>\n  \n  <li>2</li>\n  \n  <li>3</li>\n  \n</ul>"
    );
    assert_eq!(
        render_with(true, true),
        "<ul>\n  <li>1</li>\n  <li>2</li>\n  <li>3</li>\n</ul>"
    );
}

#[test]
fn fs_loader_serves_a_directory_and_notices_changes() {
    use viper_template::FsLoader;
    let dir = std::env::temp_dir().join(format!("viper-template-fs-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("parts")).unwrap();
    std::fs::write(dir.join("page.html"), "<{% include 'parts/row.html' %}>").unwrap();
    std::fs::write(dir.join("parts/row.html"), "{{ name }}").unwrap();
    let env = Environment::new(FsLoader::new(&dir));
    assert_eq!(env.render("page.html", &ctx()).unwrap(), "<Ann>");
    assert_eq!(env.cache_len(), 2);
    // A changed file (here also a changed length) is recompiled on the next lookup.
    std::fs::write(dir.join("parts/row.html"), "{{ name|upper }}!").unwrap();
    assert_eq!(env.render("page.html", &ctx()).unwrap(), "<ANN!>");
    // Names that leave the directory never reach the file system.
    for bad in [
        "../page.html",
        "parts/../page.html",
        "/etc/passwd",
        "parts\\row.html",
        "",
    ] {
        let e = env.render(bad, &ctx()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TemplateNotFound, "{bad}");
    }
    let e = env.render("missing.html", &ctx()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TemplateNotFound);
    std::fs::remove_dir_all(&dir).unwrap();
}

struct Counting {
    inner: MapLoader,
    loads: std::cell::Cell<usize>,
}

impl Loader for Counting {
    fn version(&self, name: &str) -> Option<u64> {
        self.inner.version(name)
    }
    fn load(&self, name: &str) -> Option<Source> {
        self.loads.set(self.loads.get() + 1);
        self.inner.load(name)
    }
}

#[test]
fn cache_reuses_and_invalidates() {
    let mut inner = MapLoader::new();
    inner.insert("a", "v1");
    let mut env = Environment::new(Counting {
        inner,
        loads: 0.into(),
    });
    assert_eq!(env.render("a", &Value::NONE).unwrap(), "v1");
    assert_eq!(env.render("a", &Value::NONE).unwrap(), "v1");
    assert_eq!(env.loader().loads.get(), 1);
    env.loader_mut().inner.insert("a", "v2");
    assert_eq!(env.render("a", &Value::NONE).unwrap(), "v2");
    assert_eq!(env.loader().loads.get(), 2);
}

#[test]
fn cache_respects_byte_budget() {
    let big = "x".repeat(2000);
    let mut l = MapLoader::new();
    for i in 0..10 {
        l.insert(format!("t{i}"), big.clone());
    }
    let env = Environment::with_config(
        l,
        Config {
            cache_bytes: 20_000,
            ..Config::default()
        },
    );
    for i in 0..10 {
        env.render(&format!("t{i}"), &Value::NONE).unwrap();
        assert!(env.cache_size() <= 20_000);
    }
    assert!(env.cache_len() < 10 && env.cache_len() > 0);
}

#[test]
fn streams_into_a_writer() {
    struct Sink(usize);
    impl core::fmt::Write for Sink {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let env = env_with(
        &[("t", "{% for x in xs %}{{ x }}-{% endfor %}")],
        Config::default(),
    );
    let mut sink = Sink(0);
    env.get_template("t")
        .unwrap()
        .render_to(&ctx(), &mut sink)
        .unwrap();
    assert_eq!(sink.0, 6);
}

#[test]
fn compiled_once_rendered_many_times() {
    let env = env_with(&[("t", "{{ n * 2 }}")], Config::default());
    let t = env.get_template("t").unwrap();
    for n in 0..5 {
        assert_eq!(
            t.render(&Value::map([("n", n)])).unwrap(),
            (n * 2).to_string()
        );
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_context() {
    #[derive(serde::Serialize)]
    struct Item {
        title: String,
        tags: Vec<&'static str>,
        price: Option<f64>,
    }
    #[derive(serde::Serialize)]
    struct Page {
        items: Vec<Item>,
    }
    let page = Page {
        items: vec![
            Item {
                title: "A&B".into(),
                tags: vec!["x", "y"],
                price: Some(1.5),
            },
            Item {
                title: "C".into(),
                tags: vec![],
                price: None,
            },
        ],
    };
    let v = Value::from_serialize(&page).unwrap();
    let out = render(
        "{% for i in items %}{{ i.title }}:{{ i.tags|join(',') }}:{{ i.price }};{% endfor %}",
        &v,
    )
    .unwrap();
    assert_eq!(out, "A&amp;B:x,y:1.5;C::None;");
}

proptest! {
    #[test]
    fn plain_text_round_trips(s in "[^{}#%\r]{0,64}") {
        let expected = s.strip_suffix('\n').unwrap_or(&s).to_string();
        prop_assert_eq!(render(&s, &Value::NONE).unwrap(), expected);
    }

    #[test]
    fn escaped_output_unescapes_to_input(s in "\\PC{0,40}") {
        let out = render("{{ s }}", &Value::map([("s", s.as_str())])).unwrap();
        let back = out.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", "\"")
            .replace("&#39;", "'").replace("&amp;", "&");
        prop_assert_eq!(back, s);
    }

    #[test]
    fn tojson_round_trips_through_serde_json(xs in proptest::collection::vec(any::<i32>(), 0..8),
                                             s in "\\PC{0,20}") {
        let v = Value::map([("xs", Value::list(xs.clone())), ("s", Value::from(s.as_str()))]);
        let out = render("{{ {'xs': xs, 's': s}|tojson }}", &v).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(parsed["s"].as_str().unwrap(), s.as_str());
        let back: Vec<i32> = parsed["xs"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap() as i32).collect();
        prop_assert_eq!(back, xs);
    }

    #[test]
    fn integer_arithmetic_matches_python(a in -10_000i64..10_000, b in -10_000i64..10_000) {
        prop_assume!(b != 0);
        let v = Value::map([("a", a), ("b", b)]);
        let out = render("{{ a + b }} {{ a - b }} {{ a * b }} {{ a // b }} {{ a % b }}", &v).unwrap();
        let fd = a.div_euclid(b) - if b < 0 && a.rem_euclid(b) != 0 { 1 } else { 0 };
        let m = a - b * fd;
        prop_assert_eq!(out, format!("{} {} {} {} {}", a + b, a - b, a * b, fd, m));
    }

    #[test]
    fn arbitrary_source_never_panics(s in "[{}%#a-z0-9 ()|.,'\"=+*/~<>-]{0,60}") {
        // Every compile or render error points into the template.
        if let Err(e) = render(&s, &ctx()) {
            prop_assert!(e.template() == "t" && e.line() >= 1 && e.column() >= 1, "{:?}: {}", s, e);
        }
    }

    #[test]
    fn statement_soup_errors_carry_positions(
        parts in proptest::collection::vec(proptest::sample::select(vec![
            "{% if x %}", "{% endif %}", "{% for i in xs %}", "{% endfor %}", "{% else %}",
            "{{ i }}", "{{ x.y }}", "{{ missing }}", "{{ xs[5] }}", "{{ 1 // 0 }}",
            "{% set x = xs %}", "{% include 'inc' %}", "{% include 'nope' %}",
            "{% macro m(a) %}", "{% endmacro %}", "{{ m(1) }}", "{{ m() }}", "{% block b %}",
            "{% endblock %}", "{{ super() }}", "{% extends 'base' %}", "{{ xs|join(1) }}",
            "text\n", "{{ 'a' ~ xs }}", "{{ xs|sort|first + 'a' }}", "{{ loop.index }}",
            "{% include 'a' %}", "{% include 't' %}",
        ]), 0..12),
        a in proptest::collection::vec(proptest::sample::select(vec![
            "{% if true %}", "{% endif %}", "{% include 't' %}", "{% include 'a' %}",
            "{% for i in xs %}", "{% endfor %}", "{{ i }}", "{% block b %}", "{% endblock %}",
            "{% extends 't' %}", "{{ super() }}", "x",
        ]), 0..10),
        max_recursion in 5usize..40,
    ) {
        let src = parts.concat();
        let a = a.concat();
        let env = env_with(
            &[("t", &src), ("inc", "[{{ i }}]"), ("base", "<{% block b %}{% endblock %}>"),
              ("a", &a)],
            Config { max_loop_iterations: 500, max_recursion, max_depth: 6, ..Config::default() },
        );
        if let Err(e) = env.render("t", &Value::map([("x", Value::from(1)), ("xs", Value::list([1, 2]))])) {
            prop_assert!(!e.template().is_empty() && e.line() >= 1 && e.column() >= 1, "{:?}: {}", src, e);
        }
    }
}
