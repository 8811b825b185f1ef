//! Differential test against Python Jinja2: every case is rendered by viper-template and
//! by one `python3` process running jinja2, and the outputs must be byte-identical (or
//! both must fail).

mod corpus;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use corpus::{Case, Opts};
use viper_template::{Config, Environment, MapLoader, Value};

const RUNNER: &str = r#"
import sys, json
import jinja2
def sorted_pairs(p):
    return dict(sorted(p))
out = sys.stdout
for line in sys.stdin:
    case = json.loads(line, object_pairs_hook=sorted_pairs)
    o = case["opts"]
    env = jinja2.Environment(
        loader=jinja2.DictLoader(case["templates"]),
        autoescape=not o["no_autoescape"],
        undefined=jinja2.Undefined if o["lenient"] else jinja2.StrictUndefined,
        trim_blocks=o["trim"], lstrip_blocks=o["lstrip"],
        keep_trailing_newline=o["keep_nl"])
    try:
        res = {"ok": True, "out": env.get_template("main").render(case["ctx"])}
    except Exception as e:
        res = {"ok": False, "out": type(e).__name__ + ": " + str(e)}
    out.write(json.dumps(res) + "\n")
    out.flush()
"#;

fn json_to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::NONE,
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => Value::list(a.iter().map(json_to_value)),
        serde_json::Value::Object(o) => {
            let mut pairs: Vec<(&String, &serde_json::Value)> = o.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            Value::map(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.as_str(), json_to_value(v))),
            )
        }
    }
}

fn config(o: &Opts) -> Config {
    Config {
        autoescape: !o.no_autoescape,
        strict_undefined: !o.lenient,
        trim_blocks: o.trim,
        lstrip_blocks: o.lstrip,
        keep_trailing_newline: o.keep_nl,
        ..Config::default()
    }
}

fn render_viper(case: &Case) -> Result<String, String> {
    let mut loader = MapLoader::new();
    loader.insert("main", case.main.clone());
    for (n, s) in &case.extra {
        loader.insert(n.clone(), s.clone());
    }
    let env = Environment::with_config(loader, config(&case.opts));
    let ctx: serde_json::Value = serde_json::from_str(&case.ctx).expect("corpus context is JSON");
    env.render("main", &json_to_value(&ctx))
        .map_err(|e| e.to_string())
}

fn python_has_jinja() -> bool {
    Command::new("python3")
        .args(["-c", "import jinja2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn render_python(cases: &[Case]) -> Vec<(bool, String)> {
    let mut child = Command::new("python3")
        .args(["-c", RUNNER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn python3");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let input: Vec<String> = cases
        .iter()
        .map(|c| {
            let mut templates = serde_json::Map::new();
            templates.insert("main".into(), c.main.clone().into());
            for (n, s) in &c.extra {
                templates.insert(n.clone(), s.clone().into());
            }
            let ctx: serde_json::Value = serde_json::from_str(&c.ctx).expect("ctx json");
            serde_json::json!({
                "templates": templates,
                "ctx": ctx,
                "opts": {
                    "lenient": c.opts.lenient, "no_autoescape": c.opts.no_autoescape,
                    "trim": c.opts.trim, "lstrip": c.opts.lstrip, "keep_nl": c.opts.keep_nl,
                },
            })
            .to_string()
        })
        .collect();
    let writer = std::thread::spawn(move || {
        for line in input {
            if writeln!(stdin, "{line}").is_err() {
                break;
            }
        }
    });
    let (tx, rx) = mpsc::channel();
    let n = cases.len();
    std::thread::spawn(move || {
        let mut results = Vec::with_capacity(n);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let v: serde_json::Value = serde_json::from_str(&line).expect("runner output json");
            results.push((
                v["ok"].as_bool().unwrap_or(false),
                v["out"].as_str().unwrap_or("").to_string(),
            ));
        }
        let _ = tx.send(results);
    });
    let results = rx.recv_timeout(Duration::from_secs(120));
    let _ = child.kill();
    let _ = child.wait();
    let _ = writer.join();
    let results = results.expect("python3 jinja2 runner timed out");
    assert_eq!(results.len(), cases.len(), "runner answered every case");
    results
}

#[test]
fn corpus_matches_python_jinja2() {
    if !python_has_jinja() {
        if std::env::var("VIPER_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("python3 with jinja2 is required (VIPER_REQUIRE_PEERS=1)");
        }
        println!("SKIPPED: python3 jinja2 not installed");
        return;
    }
    let cases = corpus::all();
    assert!(cases.len() >= 300, "corpus has {} cases", cases.len());
    let py = render_python(&cases);
    let mut mismatches = Vec::new();
    let mut errors = 0;
    for (i, (case, (py_ok, py_out))) in cases.iter().zip(&py).enumerate() {
        let ours = render_viper(case);
        let same = match &ours {
            Ok(s) => *py_ok && s == py_out,
            Err(_) => !*py_ok,
        };
        if !*py_ok {
            errors += 1;
        }
        if !same {
            mismatches.push(format!(
                "#{i} {:?} extra={:?} ctx={} opts={:?}\n   jinja2: {}{:?}\n   viper : {:?}",
                case.main,
                case.extra,
                if case.ctx.len() < 200 {
                    case.ctx.as_str()
                } else {
                    "<default>"
                },
                case.opts,
                if *py_ok { "" } else { "ERROR " },
                py_out,
                ours
            ));
        }
    }
    println!(
        "jinja2 differential: {} cases ({} error cases), {} mismatches",
        cases.len(),
        errors,
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from Jinja2:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}
