//! Renders one template many times with one engine, for instruction counts that do not
//! depend on machine load:
//!
//! ```sh
//! cargo build --release -p viper-bench-template --example instr
//! for n in 1 51; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/instr viper page.html $n; done
//! ```
//!
//! Instructions per render = (count at 51 − count at 1) / 50. Engines: `viper`,
//! `minijinja`.

use viper_bench_template::{data, templates};

fn main() {
    let mut args = std::env::args().skip(1);
    let engine = args.next().unwrap_or_else(|| "viper".into());
    let name = args.next().unwrap_or_else(|| "page.html".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let data = data();
    let mut total = 0;
    match engine.as_str() {
        "viper" => {
            let mut loader = viper_template::MapLoader::new();
            for (k, s) in templates() {
                loader.insert(k, s);
            }
            let env = viper_template::Environment::new(loader);
            let ctx = viper_template::Value::from_serialize(&data).expect("context");
            let t = env.get_template(&name).expect("template");
            for _ in 0..n {
                total += t.render(&ctx).expect("render").len();
            }
        }
        "minijinja" => {
            let mut env = minijinja::Environment::new();
            for (k, s) in templates() {
                env.add_template_owned(k, s).expect("template");
            }
            let ctx = minijinja::Value::from(minijinja::value::Serde(&data));
            let t = env.get_template(&name).expect("template");
            for _ in 0..n {
                total += t.render(&ctx).expect("render").len();
            }
        }
        other => panic!("unknown engine {other} (viper or minijinja)"),
    }
    println!("{total} bytes rendered");
}
