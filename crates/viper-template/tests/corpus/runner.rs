//! Runs corpus cases through viper-template and through Python Jinja2 (one `python3`
//! process for all cases) and compares the results. Shared by `tests/jinja_diff.rs` and
//! the `viper-conformance-jinja` runner.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use viper_template::{Config, Environment, MapLoader, Value};

use super::{Case, Opts};

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

/// Converts a JSON context to a `Value`, object keys sorted (the Python side sorts them
/// too, so dict iteration order agrees).
pub(crate) fn json_to_value(v: &serde_json::Value) -> Value {
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

/// Renders `main` of `case` with viper-template; the error as a string on failure.
pub(crate) fn render_viper(case: &Case) -> Result<String, String> {
    let mut loader = MapLoader::new();
    loader.insert("main", case.main.clone());
    for (n, s) in &case.extra {
        loader.insert(n.clone(), s.clone());
    }
    let env = Environment::with_config(loader, config(&case.opts));
    let ctx: serde_json::Value =
        serde_json::from_str(&case.ctx).map_err(|e| format!("context is not JSON: {e}"))?;
    env.render("main", &json_to_value(&ctx))
        .map_err(|e| e.to_string())
}

/// The installed Jinja2's version, if the test Python (the project venv, see
/// viper-test-support) can import it.
pub(crate) fn jinja_version() -> Option<String> {
    let out = Command::new(viper_test_support::python())
        .args(["-c", "import jinja2; print(jinja2.__version__)"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Renders every case with Jinja2: `(succeeded, output or "ExceptionType: message")`.
/// Gives up after `timeout` (the corpus takes a few seconds).
pub(crate) fn render_python(
    cases: &[Case],
    timeout: Duration,
) -> Result<Vec<(bool, String)>, String> {
    let mut child = Command::new(viper_test_support::python())
        .args(["-c", RUNNER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawn python3: {e}"))?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("python3 pipes".into());
    };
    let input: Vec<String> = cases
        .iter()
        .map(|c| {
            let mut templates = serde_json::Map::new();
            templates.insert("main".into(), c.main.clone().into());
            for (n, s) in &c.extra {
                templates.insert(n.clone(), s.clone().into());
            }
            let ctx: serde_json::Value =
                serde_json::from_str(&c.ctx).unwrap_or(serde_json::Value::Null);
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
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                break;
            };
            results.push((
                v["ok"].as_bool().unwrap_or(false),
                v["out"].as_str().unwrap_or("").to_string(),
            ));
        }
        let _ = tx.send(results);
    });
    let results = rx.recv_timeout(timeout);
    let _ = child.kill();
    let _ = child.wait();
    let _ = writer.join();
    let results = results.map_err(|_| "python3 jinja2 runner timed out".to_string())?;
    if results.len() != cases.len() {
        return Err(format!(
            "jinja2 answered {} of {} cases",
            results.len(),
            cases.len()
        ));
    }
    Ok(results)
}

/// The outcome of comparing a set of cases.
pub(crate) struct Report {
    /// Cases compared.
    pub cases: usize,
    /// Cases Jinja2 rejects (viper must reject them too).
    pub errors: usize,
    /// Descriptions of the cases that differ.
    pub mismatches: Vec<String>,
}

/// Compares viper-template with Jinja2 on `cases`.
pub(crate) fn compare(cases: &[Case], timeout: Duration) -> Result<Report, String> {
    let py = render_python(cases, timeout)?;
    let mut report = Report {
        cases: cases.len(),
        errors: 0,
        mismatches: Vec::new(),
    };
    for (i, (case, (py_ok, py_out))) in cases.iter().zip(&py).enumerate() {
        let ours = render_viper(case);
        let same = match &ours {
            Ok(s) => *py_ok && s == py_out,
            Err(_) => !*py_ok,
        };
        if !*py_ok {
            report.errors += 1;
        }
        if !same {
            report.mismatches.push(format!(
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
    Ok(report)
}
