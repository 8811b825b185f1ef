//! Every routing rule, exercised through the public API.

use viper_router::{
    Allow, Config, EncodedSlash, InsertError, Match, Method, Router, TrailingSlash, Value,
    MAX_PARAMS,
};

use Method::{Delete, Get, Head, Options, Patch, Post, Put};

fn found<'r, 'p, T: std::fmt::Debug>(m: Match<'r, 'p, T>) -> viper_router::Found<'r, 'p, T> {
    match m {
        Match::Found(f) => f,
        other => panic!("expected a match, got {other:?}"),
    }
}

fn value<T: Copy + std::fmt::Debug>(r: &Router<T>, method: Method, path: &str) -> Option<T> {
    r.lookup(method, path).found().map(|f| *f.value)
}

#[test]
fn static_routes_and_root() {
    let mut r = Router::new();
    r.insert(Get, "/", 0).unwrap();
    r.insert(Get, "/users", 1).unwrap();
    r.insert(Get, "/users/", 2).unwrap();
    r.insert(Get, "/users/active", 3).unwrap();
    assert_eq!(value(&r, Get, "/"), Some(0));
    assert_eq!(value(&r, Get, "/users"), Some(1));
    assert_eq!(value(&r, Get, "/users/"), Some(2));
    assert_eq!(value(&r, Get, "/users/active"), Some(3));
    assert_eq!(value(&r, Get, "/users/active/"), None);
    assert_eq!(value(&r, Get, "/user"), None);
    assert_eq!(value(&r, Get, ""), None);
    assert_eq!(value(&r, Get, "*"), None);
    assert_eq!(value(&r, Get, "users"), None);
    assert!(matches!(r.lookup(Get, "/nope"), Match::NotFound));
    assert_eq!(r.lookup(Get, "/nope").status(), 404);
}

#[test]
fn typed_parameters_are_parsed() {
    let mut r = Router::new();
    r.insert(Get, "/items/{id:int}", "int").unwrap();
    r.insert(Get, "/users/{name}", "str").unwrap();
    r.insert(Get, "/tags/{tag:str}", "str2").unwrap();
    r.insert(Get, "/files/{rest:path}", "path").unwrap();
    r.insert(Get, "/geo/{lat:float}/{lon:float}", "geo")
        .unwrap();

    let f = found(r.lookup(Get, "/items/42"));
    assert_eq!(*f.value, "int");
    assert_eq!(f.params.int("id"), Some(42));
    assert_eq!(f.params.get("id"), Some(Value::Int(42)));
    assert_eq!(f.params.len(), 1);
    assert_eq!(f.pattern, "/items/{id:int}");

    assert_eq!(found(r.lookup(Get, "/items/-7")).params.int("id"), Some(-7));
    assert_eq!(
        found(r.lookup(Get, "/items/-9223372036854775808"))
            .params
            .int("id"),
        Some(i64::MIN)
    );
    // Not an int (or overflowing): no route.
    for p in [
        "/items/abc",
        "/items/1.5",
        "/items/+1",
        "/items/",
        "/items/-",
        "/items/9223372036854775808",
    ] {
        assert!(matches!(r.lookup(Get, p), Match::NotFound), "{p}");
    }

    let f = found(r.lookup(Get, "/users/alice"));
    assert_eq!(f.params.str("name").unwrap().as_str(), Some("alice"));
    assert_eq!(f.params.int("name"), None);
    assert_eq!(
        found(r.lookup(Get, "/tags/x"))
            .params
            .str("tag")
            .unwrap()
            .raw(),
        "x"
    );

    let f = found(r.lookup(Get, "/files/a/b/c.txt"));
    assert_eq!(*f.value, "path");
    assert_eq!(f.params.str("rest").unwrap().as_str(), Some("a/b/c.txt"));
    assert!(matches!(f.params.get("rest"), Some(Value::Path(_))));

    let f = found(r.lookup(Get, "/geo/48.85/-2.35"));
    assert_eq!(f.params.float("lat"), Some(48.85));
    assert_eq!(f.params.float("lon"), Some(-2.35));
    let names: Vec<&str> = f.params.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["lat", "lon"]);
    assert_eq!(
        f.params.at(1).map(|(n, v)| (n, v.as_float())),
        Some(("lon", Some(-2.35)))
    );
    assert!(f.params.at(2).is_none());
    assert_eq!(
        found(r.lookup(Get, "/geo/1/2e3")).params.float("lon"),
        Some(2000.0)
    );
    for p in [
        "/geo/inf/1",
        "/geo/NaN/1",
        "/geo/1./1",
        "/geo/.5/1",
        "/geo/1e999/1",
        "/geo/1e/1",
    ] {
        assert!(matches!(r.lookup(Get, p), Match::NotFound), "{p}");
    }
}

#[test]
fn priority_static_then_typed_then_str_then_path() {
    let mut r = Router::new();
    r.insert(Get, "/a/me", "static").unwrap();
    r.insert(Get, "/a/{i:int}", "int").unwrap();
    r.insert(Get, "/a/{f:float}", "float").unwrap();
    r.insert(Get, "/a/{s}", "str").unwrap();
    r.insert(Get, "/a/{p:path}", "path").unwrap();
    assert_eq!(value(&r, Get, "/a/me"), Some("static"));
    assert_eq!(value(&r, Get, "/a/12"), Some("int"));
    assert_eq!(value(&r, Get, "/a/1.5"), Some("float"));
    assert_eq!(value(&r, Get, "/a/you"), Some("str"));
    assert_eq!(value(&r, Get, "/a/x/y"), Some("path"));
    // Same priorities regardless of insertion order.
    let mut r2 = Router::new();
    r2.insert(Get, "/a/{p:path}", "path").unwrap();
    r2.insert(Get, "/a/{s}", "str").unwrap();
    r2.insert(Get, "/a/{i:int}", "int").unwrap();
    r2.insert(Get, "/a/me", "static").unwrap();
    assert_eq!(value(&r2, Get, "/a/me"), Some("static"));
    assert_eq!(value(&r2, Get, "/a/3"), Some("int"));
    assert_eq!(value(&r2, Get, "/a/1.5"), Some("str"));
}

#[test]
fn backtracks_when_a_preferred_branch_fails() {
    let mut r = Router::new();
    r.insert(Get, "/u/me/settings", 1).unwrap();
    r.insert(Get, "/u/{id:int}/posts", 2).unwrap();
    r.insert(Get, "/u/{name}/posts", 3).unwrap();
    r.insert(Get, "/u/{rest:path}", 4).unwrap();
    assert_eq!(value(&r, Get, "/u/me/settings"), Some(1));
    // Static `me` fails further down: fall back to `{name}`.
    assert_eq!(value(&r, Get, "/u/me/posts"), Some(3));
    let f = found(r.lookup(Get, "/u/me/posts"));
    assert_eq!(f.params.len(), 1);
    assert_eq!(f.params.str("name").unwrap().as_str(), Some("me"));
    assert_eq!(value(&r, Get, "/u/5/posts"), Some(2));
    // Every param branch fails: `path` catches it, with no stale params.
    let f = found(r.lookup(Get, "/u/5/other"));
    assert_eq!(*f.value, 4);
    assert_eq!(f.params.len(), 1);
    assert_eq!(f.params.str("rest").unwrap().raw(), "5/other");
}

#[test]
fn invalid_patterns_are_rejected_with_a_reason() {
    let mut r: Router<u8> = Router::new();
    let cases = [
        "users",
        "/users/{id",
        "/users/x{id}",
        "/users/{id}x",
        "/users/{}",
        "/users/{1a}",
        "/users/{id:uuid}",
        "/users/{a}/{a}",
        "/users/}",
    ];
    for p in cases {
        match r.insert(Get, p, 0) {
            Err(e @ InsertError::InvalidPattern { .. }) => {
                assert!(e.to_string().contains(p), "{e}")
            }
            other => panic!("{p}: {other:?}"),
        }
    }
    assert!(r.is_empty());
}

#[test]
fn routes_that_can_never_match_are_rejected() {
    let mut r: Router<u8> = Router::new();
    for p in [
        "/files/{rest:path}/x",
        "/a//b",
        "/a/../b",
        "/a/./b",
        "/search?q",
        "/a#frag",
    ] {
        match r.insert(Get, p, 0) {
            Err(e @ InsertError::NeverMatches { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(p) && msg.contains("never match"), "{msg}");
            }
            other => panic!("{p}: {other:?}"),
        }
    }
    let many = (0..=MAX_PARAMS)
        .map(|i| format!("/{{p{i}}}"))
        .collect::<String>();
    assert!(matches!(
        r.insert(Get, &many, 0),
        Err(InsertError::TooManyParams {
            max: MAX_PARAMS,
            ..
        })
    ));
    assert!(r.is_empty());
}

#[test]
fn conflicts_name_both_routes_and_leave_the_table_unchanged() {
    let mut r = Router::new();
    r.insert(Get, "/users/{id}", 1).unwrap();
    let e = r.insert(Get, "/users/{id:str}", 2).unwrap_err();
    assert_eq!(
        e,
        InsertError::Conflict {
            method: Get,
            pattern: "/users/{id:str}".into(),
            existing: "/users/{id}".into()
        }
    );
    let msg = e.to_string();
    assert!(
        msg.contains("GET /users/{id:str}") && msg.contains("GET /users/{id}"),
        "{msg}"
    );
    // Same shape, different names, other method.
    let e = r.insert(Post, "/users/{name}", 3).unwrap_err();
    assert!(matches!(e, InsertError::ParamNames { .. }));
    assert!(e.to_string().contains("/users/{name}") && e.to_string().contains("/users/{id}"));
    // Different names on paths that diverge later are fine.
    r.insert(Get, "/users/{name}/posts", 4).unwrap();
    // Same path, another method: fine.
    r.insert(Put, "/users/{id}", 5).unwrap();
    // Types differ: not a conflict (int is tried first).
    r.insert(Get, "/users/{id:int}", 6).unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(value(&r, Get, "/users/x"), Some(1));
    assert_eq!(value(&r, Get, "/users/7"), Some(6));
    assert_eq!(value(&r, Put, "/users/7"), Some(5));
    assert_eq!(value(&r, Get, "/users/x/posts"), Some(4));
    let e = r
        .insert(Get, "/x/{a:path}", 7)
        .and(r.insert(Post, "/x/{b:path}", 8))
        .unwrap_err();
    assert!(matches!(e, InsertError::ParamNames { .. }));
    let listed: Vec<(Method, &str, &i32)> = r.routes().collect();
    assert_eq!(listed.first(), Some(&(Get, "/users/{id}", &1)));
    assert_eq!(listed.len(), 5);
}

#[test]
fn per_method_405_404_head_and_options() {
    let mut r = Router::new();
    r.insert(Get, "/items/{id:int}", "get").unwrap();
    r.insert(Delete, "/items/{id:int}", "delete").unwrap();
    r.insert(Post, "/items", "create").unwrap();

    match r.lookup(Put, "/items/3") {
        Match::MethodNotAllowed(allow) => {
            assert_eq!(allow.to_string(), "GET, HEAD, DELETE, OPTIONS");
            assert!(allow.contains(Delete) && !allow.contains(Put));
            assert_eq!(allow.len(), 4);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.lookup(Patch, "/items/3").status(), 405);
    assert_eq!(r.lookup(Put, "/nothing").status(), 404);
    assert_eq!(r.lookup(Put, "/items/x").status(), 404);

    let f = found(r.lookup(Head, "/items/3"));
    assert_eq!(*f.value, "get");
    assert!(f.head_fallback);
    assert_eq!(f.method, Get);
    let f = found(r.lookup(Get, "/items/3"));
    assert!(!f.head_fallback);

    match r.lookup(Options, "/items") {
        Match::Options(allow) => assert_eq!(allow.to_string(), "POST, OPTIONS"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.lookup(Options, "/items").status(), 204);
    assert_eq!(r.lookup(Options, "/none").status(), 404);
    assert_eq!(
        r.allowed("/items/1?x"),
        Some(Allow::EMPTY.with(Get).with(Head).with(Delete).with(Options))
    );
    assert_eq!(r.allowed("/none"), None);

    // Explicit HEAD and OPTIONS handlers win.
    r.insert(Head, "/items/{id:int}", "head").unwrap();
    r.insert(Options, "/items", "options").unwrap();
    assert_eq!(value(&r, Head, "/items/1"), Some("head"));
    assert!(!found(r.lookup(Head, "/items/1")).head_fallback);
    assert_eq!(value(&r, Options, "/items"), Some("options"));

    // Policies off.
    let cfg = Config {
        head_falls_back_to_get: false,
        auto_options: false,
        ..Config::default()
    };
    let mut r = Router::with_config(cfg);
    r.insert(Get, "/a", 1).unwrap();
    match r.lookup(Head, "/a") {
        Match::MethodNotAllowed(a) => assert_eq!(a.to_string(), "GET"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        r.lookup(Options, "/a"),
        Match::MethodNotAllowed(_)
    ));
    assert!(!r.config().auto_options);
}

#[test]
fn method_is_matched_across_routes_and_allow_is_their_union() {
    let mut r = Router::new();
    r.insert(Get, "/users/me", "me").unwrap();
    r.insert(Delete, "/users/{id}", "del").unwrap();
    assert_eq!(value(&r, Get, "/users/me"), Some("me"));
    let f = found(r.lookup(Delete, "/users/me"));
    assert_eq!(*f.value, "del");
    assert_eq!(f.params.str("id").unwrap().as_str(), Some("me"));
    match r.lookup(Post, "/users/me") {
        Match::MethodNotAllowed(a) => assert_eq!(a.to_string(), "GET, HEAD, DELETE, OPTIONS"),
        other => panic!("{other:?}"),
    }
    match r.lookup(Post, "/users/you") {
        Match::MethodNotAllowed(a) => assert_eq!(a.to_string(), "DELETE, OPTIONS"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn percent_decoding_of_parameters() {
    let mut r = Router::new();
    r.insert(Get, "/users/{name}", 1).unwrap();
    r.insert(Get, "/n/{id:int}", 2).unwrap();
    r.insert(Get, "/café", 3).unwrap();
    r.insert(Get, "/100%", 4).unwrap();

    let f = found(r.lookup(Get, "/users/J%C3%BCrgen%20M"));
    let s = f.params.str("name").unwrap();
    assert!(s.is_encoded());
    assert_eq!(s.as_str(), None);
    assert_eq!(s.raw(), "J%C3%BCrgen%20M");
    assert_eq!(s.to_string(), "Jürgen M");
    assert_eq!(s.to_cow(), "Jürgen M");
    assert!(matches!(s.to_cow(), std::borrow::Cow::Owned(_)));
    assert!(s.decoded_eq("Jürgen M"));
    assert!(!s.decoded_eq("Jürgen"));
    assert_eq!(s.decoded_len(), "Jürgen M".len());
    let mut buf = [0u8; 32];
    assert_eq!(s.decode_into(&mut buf), Some("Jürgen M"));
    let mut small = [0u8; 4];
    assert_eq!(s.decode_into(&mut small), None);
    assert_eq!(s.decode().collect::<Vec<u8>>(), "Jürgen M".as_bytes());

    let plain = found(r.lookup(Get, "/users/bob"))
        .params
        .str("name")
        .unwrap();
    assert!(matches!(plain.to_cow(), std::borrow::Cow::Borrowed("bob")));

    // Malformed escapes and invalid UTF-8 never match a parameter.
    for p in [
        "/users/%zz",
        "/users/a%2",
        "/users/%FF",
        "/users/%C3",
        "/users/%ED%A0%80",
        "/users/%C0%AF",
    ] {
        assert!(matches!(r.lookup(Get, p), Match::NotFound), "{p}");
    }
    // Escaped digits are digits.
    assert_eq!(found(r.lookup(Get, "/n/%34%32")).params.int("id"), Some(42));
    // Static segments compare decoded.
    assert_eq!(value(&r, Get, "/caf%C3%A9"), Some(3));
    assert_eq!(value(&r, Get, "/café"), Some(3));
    assert_eq!(value(&r, Get, "/100%25"), Some(4));
}

#[test]
fn encoded_slash_rule() {
    let mut r = Router::new();
    r.insert(Get, "/p/{id}", "str").unwrap();
    r.insert(Get, "/q/{id}", "str").unwrap();
    r.insert(Get, "/q/{rest:path}", "path").unwrap();
    // Default: %2F never matches a `str` parameter.
    assert!(matches!(r.lookup(Get, "/p/a%2Fb"), Match::NotFound));
    assert!(matches!(r.lookup(Get, "/p/a%2fb"), Match::NotFound));
    // ... but a `path` parameter takes it, decoded.
    let f = found(r.lookup(Get, "/q/a%2Fb"));
    assert_eq!(*f.value, "path");
    assert_eq!(f.params.str("rest").unwrap().to_string(), "a/b");
    // Decode policy.
    let mut r = Router::with_config(Config {
        encoded_slash: EncodedSlash::Decode,
        ..Config::default()
    });
    r.insert(Get, "/projects/{id}", 1).unwrap();
    let f = found(r.lookup(Get, "/projects/group%2Fproject"));
    assert_eq!(f.params.str("id").unwrap().to_string(), "group/project");
    // The raw slash still splits segments.
    assert!(matches!(
        r.lookup(Get, "/projects/group/project"),
        Match::NotFound
    ));
}

#[test]
fn path_parameter_rules() {
    let mut r = Router::new();
    r.insert(Get, "/static/{file:path}", 1).unwrap();
    r.insert(Get, "/{all:path}", 2).unwrap();
    assert_eq!(
        found(r.lookup(Get, "/static/css/site.css"))
            .params
            .str("file")
            .unwrap()
            .raw(),
        "css/site.css"
    );
    // Needs at least one character.
    assert_eq!(value(&r, Get, "/static/"), Some(2));
    assert_eq!(
        found(r.lookup(Get, "/static/"))
            .params
            .str("all")
            .unwrap()
            .raw(),
        "static/"
    );
    assert!(matches!(r.lookup(Get, "/"), Match::NotFound));
    // Dot segments, raw or encoded, never reach a `path` parameter.
    for p in [
        "/static/../etc/passwd",
        "/static/a/./b",
        "/static/%2e%2e/x",
        "/static/a%2F..%2Fb",
        "/static/..",
        "/..",
    ] {
        assert!(matches!(r.lookup(Get, p), Match::NotFound), "{p}");
    }
    // Dots inside names are fine; empty segments are kept.
    assert_eq!(
        found(r.lookup(Get, "/static/a..b/.x/c//d"))
            .params
            .str("file")
            .unwrap()
            .raw(),
        "a..b/.x/c//d"
    );
}

#[test]
fn query_and_fragment_are_ignored() {
    let mut r = Router::new();
    r.insert(Get, "/search/{q}", 1).unwrap();
    let f = found(r.lookup(Get, "/search/rust?page=2#top"));
    assert_eq!(f.params.str("q").unwrap().as_str(), Some("rust"));
    assert_eq!(value(&r, Get, "/search/x#frag"), Some(1));
    assert!(matches!(r.lookup(Get, "/search/?q=x"), Match::NotFound));
}

#[test]
fn trailing_slash_policies() {
    let routes = |cfg| {
        let mut r = Router::with_config(cfg);
        r.insert(Get, "/users", "users").unwrap();
        r.insert(Get, "/docs/", "docs").unwrap();
        r.insert(Get, "/u/{id:int}", "user").unwrap();
        r.insert(Get, "/evil.com", "evil").unwrap();
        r.insert(Get, "/", "root").unwrap();
        r
    };
    let strict = routes(Config::default());
    assert!(matches!(strict.lookup(Get, "/users/"), Match::NotFound));
    assert!(matches!(strict.lookup(Get, "/docs"), Match::NotFound));

    let redirect = routes(Config {
        trailing_slash: TrailingSlash::Redirect,
        ..Config::default()
    });
    match redirect.lookup(Get, "/users/?a=1") {
        Match::Redirect(to) => {
            assert_eq!(to.to_string(), "/users?a=1");
            assert_eq!(to.status(), 308);
        }
        other => panic!("{other:?}"),
    }
    match redirect.lookup(Post, "/docs") {
        Match::Redirect(to) => assert_eq!(to.to_string(), "/docs/"),
        other => panic!("{other:?}"),
    }
    match redirect.lookup(Get, "/u/5/") {
        Match::Redirect(to) => assert_eq!(to.to_string(), "/u/5"),
        other => panic!("{other:?}"),
    }
    assert_eq!(value(&redirect, Get, "/users"), Some("users"));
    assert!(matches!(redirect.lookup(Get, "/nope/"), Match::NotFound));
    assert!(matches!(redirect.lookup(Get, "/u/x/"), Match::NotFound));
    // No open redirect to `//evil.com`.
    assert!(matches!(
        redirect.lookup(Get, "//evil.com/"),
        Match::NotFound
    ));
    assert!(matches!(
        redirect.lookup(Get, "/\\evil.com/"),
        Match::NotFound
    ));

    let ignore = routes(Config {
        trailing_slash: TrailingSlash::Ignore,
        ..Config::default()
    });
    assert_eq!(value(&ignore, Get, "/users/"), Some("users"));
    assert_eq!(value(&ignore, Get, "/docs"), Some("docs"));
    assert_eq!(found(ignore.lookup(Get, "/u/9/")).params.int("id"), Some(9));
    assert_eq!(ignore.lookup(Post, "/users/").status(), 405);
    assert_eq!(value(&ignore, Get, "/"), Some("root"));
    assert!(ignore.allowed("/users/").is_some());
    assert_eq!(ignore.allowed("/users/"), ignore.allowed("/users"));
    assert_eq!(ignore.allowed("/docs"), ignore.allowed("/docs/"));
    assert_eq!(strict.allowed("/users/"), None);
}

#[test]
fn sub_routers_mount_under_a_prefix() {
    let mut repos = Router::new();
    repos.insert(Get, "/", "list").unwrap();
    repos.insert(Get, "/{repo}", "repo").unwrap();
    repos.insert(Delete, "/{repo}", "delete").unwrap();
    repos
        .insert(Get, "/{repo}/issues/{number:int}", "issue")
        .unwrap();

    let mut api = Router::new();
    api.insert(Get, "/orgs/{org}", "org").unwrap();
    api.mount("/orgs/{org}/repos", repos).unwrap();
    assert_eq!(api.len(), 5);
    assert_eq!(value(&api, Get, "/orgs/rust-lang/repos"), Some("list"));
    let f = found(api.lookup(Get, "/orgs/rust-lang/repos/rust/issues/1"));
    assert_eq!(*f.value, "issue");
    assert_eq!(f.pattern, "/orgs/{org}/repos/{repo}/issues/{number:int}");
    assert_eq!(f.params.str("org").unwrap().as_str(), Some("rust-lang"));
    assert_eq!(f.params.str("repo").unwrap().as_str(), Some("rust"));
    assert_eq!(f.params.int("number"), Some(1));
    assert_eq!(value(&api, Delete, "/orgs/o/repos/r"), Some("delete"));

    // A conflicting mount adds nothing.
    let mut dup = Router::new();
    dup.insert(Get, "/new", "new").unwrap();
    dup.insert(Get, "/{org}", "dup").unwrap();
    let e = api.mount("/orgs", dup).unwrap_err();
    assert!(matches!(e, InsertError::Conflict { .. }), "{e}");
    assert_eq!(api.len(), 5);
    assert!(matches!(api.lookup(Get, "/orgs/new"), Match::Found(_)));
    assert_eq!(value(&api, Get, "/orgs/new"), Some("org"));

    // Name clash between prefix and sub-route.
    let mut clash = Router::new();
    clash.insert(Get, "/{org}", "x").unwrap();
    assert!(matches!(
        api.mount("/v/{org}", clash),
        Err(InsertError::InvalidPattern { .. })
    ));
    for bad in ["", "v1", "/v1/"] {
        let e = api.mount(bad, Router::new()).unwrap_err();
        assert_eq!(e, InsertError::InvalidPrefix { prefix: bad.into() });
    }
    // Mounting at "/" merges.
    let mut more = Router::new();
    more.insert(Get, "/health", "health").unwrap();
    api.mount("/", more).unwrap();
    assert_eq!(value(&api, Get, "/health"), Some("health"));
}

#[test]
fn method_tokens() {
    assert_eq!(Method::parse(b"GET"), Some(Get));
    assert_eq!(Method::parse(b"PATCH"), Some(Patch));
    assert_eq!(Method::parse(b"get"), None);
    assert_eq!(Method::parse(b"BREW"), None);
    for m in Method::ALL {
        assert_eq!(Method::parse(m.as_str().as_bytes()), Some(m));
        assert_eq!(m.to_string(), m.as_str());
    }
    assert!(Allow::EMPTY.is_empty());
    assert_eq!(Allow::EMPTY.to_string(), "");
    assert_eq!(Allow::EMPTY.with(Post).with(Get).to_string(), "GET, POST");
}

#[test]
fn debug_lists_routes() {
    let mut r = Router::new();
    r.insert(Get, "/a", ()).unwrap();
    assert_eq!(format!("{r:?}"), "[GET /a]");
}

#[test]
fn lookup_result_stays_small() {
    // The whole result lives on the caller's stack; keep it within three cache lines.
    let size = std::mem::size_of::<Match<'_, '_, u32>>();
    println!(
        "Match: {size} bytes, Params: {} bytes",
        std::mem::size_of::<viper_router::Params<'_, '_>>()
    );
    assert!(size <= 192, "{size}");
}

#[test]
fn max_params_is_accepted_and_found() {
    let mut r = Router::new();
    let pattern: String = (0..MAX_PARAMS).map(|i| format!("/{{p{i}:int}}")).collect();
    r.insert(Get, &pattern, "all").unwrap();
    let path: String = (0..MAX_PARAMS).map(|i| format!("/{}", i * 11)).collect();
    let f = found(r.lookup(Get, &path));
    assert_eq!(f.params.len(), MAX_PARAMS);
    for i in 0..MAX_PARAMS {
        assert_eq!(f.params.int(&format!("p{i}")), Some(i as i64 * 11));
    }
    // One segment short or long: no route.
    let short: String = (0..MAX_PARAMS - 1).map(|i| format!("/{i}")).collect();
    assert!(matches!(r.lookup(Get, &short), Match::NotFound));
    assert!(matches!(
        r.lookup(Get, &format!("{path}/9")),
        Match::NotFound
    ));
}

#[test]
fn head_and_options_span_every_route_matching_the_path() {
    let mut r = Router::new();
    r.insert(Post, "/users/me", "me").unwrap();
    r.insert(Get, "/users/{id}", "get").unwrap();
    r.insert(Patch, "/users/{id}", "patch").unwrap();
    // HEAD falls back to the GET of a lower-priority route when the preferred one has
    // neither HEAD nor GET.
    let f = found(r.lookup(Head, "/users/me"));
    assert_eq!((*f.value, f.head_fallback), ("get", true));
    // OPTIONS and 405 list the union of both routes' methods.
    match r.lookup(Options, "/users/me") {
        Match::Options(a) => assert_eq!(a.to_string(), "GET, HEAD, POST, OPTIONS, PATCH"),
        other => panic!("{other:?}"),
    }
    match r.lookup(Delete, "/users/me") {
        Match::MethodNotAllowed(a) => {
            assert_eq!(a.to_string(), "GET, HEAD, POST, OPTIONS, PATCH")
        }
        other => panic!("{other:?}"),
    }
    match r.lookup(Delete, "/users/you") {
        Match::MethodNotAllowed(a) => assert_eq!(a.to_string(), "GET, HEAD, OPTIONS, PATCH"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        r.allowed("/users/me").map(|a| a.to_string()).as_deref(),
        Some("GET, HEAD, POST, OPTIONS, PATCH")
    );
}

#[test]
fn path_parameter_never_matches_through_an_added_slash() {
    for policy in [TrailingSlash::Redirect, TrailingSlash::Ignore] {
        let mut r = Router::with_config(Config {
            trailing_slash: policy,
            ..Config::default()
        });
        r.insert(Get, "/static/{file:path}", 1).unwrap();
        // `/static/` would leave the `path` parameter empty.
        assert!(
            matches!(r.lookup(Get, "/static"), Match::NotFound),
            "{policy:?}"
        );
        assert_eq!(r.allowed("/static"), None, "{policy:?}");
        // A real trailing slash is part of the parameter.
        let f = found(r.lookup(Get, "/static/css/"));
        assert_eq!(f.params.str("file").unwrap().raw(), "css/");
    }
}

#[test]
fn numbers_with_escapes_and_their_length_limit() {
    let mut r = Router::new();
    r.insert(Get, "/i/{n:int}", "int").unwrap();
    r.insert(Get, "/f/{x:float}", "float").unwrap();
    // `%2F` (or any escape that is not a digit, sign, dot or exponent) is not a number.
    for p in ["/i/4%2F2", "/i/%2F", "/f/1%2F5", "/i/%20"] {
        assert!(matches!(r.lookup(Get, p), Match::NotFound), "{p}");
    }
    assert_eq!(found(r.lookup(Get, "/i/%2D5")).params.int("n"), Some(-5));
    assert_eq!(
        found(r.lookup(Get, "/f/1%2E5")).params.float("x"),
        Some(1.5)
    );
    // An escaped number may decode to at most 64 bytes; unescaped ones have no limit
    // but their value (1e63 and 1e64 are finite floats).
    let zeros = |n: usize| "0".repeat(n);
    let at_limit = format!("/f/%31{}", zeros(63)); // 64 decoded bytes
    assert_eq!(
        found(r.lookup(Get, &at_limit)).params.float("x"),
        Some(1e63)
    );
    let over = format!("/f/%31{}", zeros(64)); // 65 decoded bytes
    assert!(matches!(r.lookup(Get, &over), Match::NotFound));
    let plain = format!("/f/1{}", zeros(64));
    assert_eq!(found(r.lookup(Get, &plain)).params.float("x"), Some(1e64));
}
