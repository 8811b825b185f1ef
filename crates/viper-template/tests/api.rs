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
        let _ = render(&s, &ctx());
    }
}
