//! Property tests: every inserted route is found by its own example path, with the right
//! parameters; percent-encoding round-trips through parameters.

use proptest::prelude::*;
use std::collections::HashSet;
use viper_router::{Config, EncodedSlash, InsertError, Match, Method, Router, Value};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Spec {
    Static(String),
    Int,
    Float,
    Str,
    Path,
}

#[derive(Clone, Debug, PartialEq)]
enum Expected {
    Int(i64),
    Float(f64),
    Text(String),
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        // A tiny alphabet so that routes share prefixes and siblings.
        3 => "[ab]{1,2}".prop_map(Spec::Static),
        1 => Just(Spec::Int),
        1 => Just(Spec::Float),
        1 => Just(Spec::Str),
    ]
}

fn route() -> impl Strategy<Value = (Vec<Spec>, usize)> {
    (
        prop::collection::vec(spec(), 1..5),
        any::<bool>(),
        0usize..3,
    )
        .prop_map(|(mut segs, path, m)| {
            if path {
                segs.push(Spec::Path);
            }
            (segs, m)
        })
}

/// One example value per parameter: (raw text in the path, expected typed value).
#[derive(Clone, Debug)]
struct Sample {
    int: i64,
    float: i32,
    text: String,
    rest: Vec<String>,
}

fn sample() -> impl Strategy<Value = Sample> {
    (
        any::<i64>(),
        any::<i32>(),
        any::<String>(),
        prop::collection::vec("[a-z0-9é ]{1,4}", 0..3),
    )
        .prop_map(|(int, float, text, rest)| Sample {
            int,
            float,
            text,
            rest,
        })
}

fn pattern_of(segs: &[Spec]) -> String {
    let mut p = String::new();
    for (i, s) in segs.iter().enumerate() {
        p.push('/');
        match s {
            Spec::Static(s) => p.push_str(s),
            Spec::Int => p.push_str(&format!("{{p{i}:int}}")),
            Spec::Float => p.push_str(&format!("{{p{i}:float}}")),
            Spec::Str => p.push_str(&format!("{{p{i}}}")),
            Spec::Path => p.push_str(&format!("{{p{i}:path}}")),
        }
    }
    p
}

/// An example path for the route, built so that no other route can take it first:
/// statics are letters only, `str` values start with `s-` (never a static, int or float)
/// and `path` values start with a segment holding `%2F` (never a `str` segment).
fn example_of(segs: &[Spec], s: &Sample) -> (String, Vec<(String, Expected)>) {
    let mut path = String::new();
    let mut params = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        path.push('/');
        let name = format!("p{i}");
        match seg {
            Spec::Static(st) => path.push_str(st),
            Spec::Int => {
                path.push_str(&s.int.to_string());
                params.push((name, Expected::Int(s.int)));
            }
            Spec::Float => {
                let text = format!("{}.5", s.float);
                path.push_str(&text);
                params.push((name, Expected::Float(text.parse().unwrap())));
            }
            Spec::Str => {
                // The default `%2F` rule keeps slashes out of `str` values.
                let text = format!("s-{}", s.text.replace('/', ""));
                path.push_str(&encode(&text));
                params.push((name, Expected::Text(text)));
            }
            Spec::Path => {
                let mut decoded = String::from("x/y");
                path.push_str("x%2Fy");
                for r in &s.rest {
                    path.push('/');
                    path.push_str(&encode(r));
                    decoded.push('/');
                    decoded.push_str(r);
                }
                params.push((name, Expected::Text(decoded)));
            }
        }
    }
    (path, params)
}

const METHODS: [Method; 3] = [Method::Get, Method::Post, Method::Delete];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_route_is_found_by_its_own_example(
        routes in prop::collection::vec(route(), 1..24),
        samples in prop::collection::vec(sample(), 24),
    ) {
        let mut r = Router::new();
        let mut seen = HashSet::new();
        let mut inserted = Vec::new();
        for (i, (segs, m)) in routes.iter().enumerate() {
            let method = METHODS[*m];
            let pattern = pattern_of(segs);
            let res = r.insert(method, &pattern, i);
            if seen.insert((segs.clone(), method)) {
                prop_assert!(res.is_ok(), "{pattern}: {res:?}");
                inserted.push((i, method, segs.clone()));
            } else {
                let is_conflict = matches!(res, Err(InsertError::Conflict { .. }));
                prop_assert!(is_conflict, "{}: {:?}", pattern, res);
            }
        }
        prop_assert_eq!(r.len(), inserted.len());
        for (k, (i, method, segs)) in inserted.iter().enumerate() {
            let (path, expected) = example_of(segs, &samples[k % samples.len()]);
            let f = match r.lookup(*method, &path) {
                Match::Found(f) => f,
                other => return Err(TestCaseError::fail(format!("{path}: {other:?}"))),
            };
            prop_assert_eq!(*f.value, *i, "{}", path);
            prop_assert_eq!(f.params.len(), expected.len());
            for ((name, value), (ename, evalue)) in f.params.iter().zip(&expected) {
                prop_assert_eq!(name, ename.as_str());
                match (value, evalue) {
                    (Value::Int(a), Expected::Int(b)) => prop_assert_eq!(a, *b),
                    (Value::Float(a), Expected::Float(b)) => prop_assert_eq!(a, *b),
                    (Value::Str(a) | Value::Path(a), Expected::Text(b)) => {
                        prop_assert_eq!(a.to_cow(), b.as_str());
                        prop_assert!(a.decoded_eq(b));
                    }
                    (a, b) => return Err(TestCaseError::fail(format!("{a:?} vs {b:?}"))),
                }
            }
            // HEAD is served by GET routes; other methods get 405 if the path has no
            // route for them.
            if *method == Method::Get {
                let head = r.lookup(Method::Head, &path).found().map(|f| (*f.value, f.head_fallback));
                prop_assert_eq!(head, Some((*i, true)));
            }
            let allow = r.allowed(&path);
            prop_assert!(allow.is_some_and(|a| a.contains(*method)));
        }
    }

    #[test]
    fn any_text_round_trips_through_a_str_parameter(text in any::<String>()) {
        prop_assume!(!text.is_empty());
        let mut r = Router::with_config(Config { encoded_slash: EncodedSlash::Decode, ..Config::default() });
        r.insert(Method::Get, "/v/{text}", ()).unwrap();
        let path = format!("/v/{}", encode(&text));
        let f = r.lookup(Method::Get, &path).found();
        prop_assert!(f.is_some(), "{}", path);
        let s = f.unwrap().params.str("text").unwrap();
        prop_assert_eq!(s.to_string(), text.clone());
        let mut buf = vec![0u8; text.len()];
        prop_assert_eq!(s.decode_into(&mut buf), Some(text.as_str()));
    }

    #[test]
    fn lookups_of_arbitrary_targets_never_panic(target in any::<String>(), m in 0usize..9) {
        let mut r = Router::new();
        for (i, p) in ["/", "/a/{x:int}", "/a/{y:float}", "/a/{s}/b", "/f/{r:path}", "/{any:path}"].iter().enumerate() {
            r.insert(Method::Get, p, i).unwrap();
        }
        let m = Method::ALL[m];
        if let Match::Found(f) = r.lookup(m, &target) {
            prop_assert_eq!(f.params.len(), f.params.iter().count());
        }
    }
}
