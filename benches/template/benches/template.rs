//! The same templates (a page with a layout, a loop of 100 rows, includes, filters)
//! rendered by viper-template, minijinja and tera in one run.

use std::time::Duration;

use criterion::{criterion_group, Criterion};
use viper_bench_support::{print_ratios, Pair};
use viper_bench_template::{data, templates, tera_syntax};

fn bench(c: &mut Criterion) {
    let data = data();

    let mut loader = viper_template::MapLoader::new();
    for (n, s) in templates() {
        loader.insert(n, s);
    }
    let viper = viper_template::Environment::new(loader);
    let viper_ctx = viper_template::Value::from_serialize(&data).unwrap();

    let mut mj = minijinja::Environment::new();
    for (n, s) in templates() {
        mj.add_template_owned(n, s).unwrap();
    }
    let mj_ctx = minijinja::Value::from(minijinja::value::Serde(&data));

    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html"]);
    tera.add_raw_templates(
        templates()
            .into_iter()
            .map(|(n, s)| (n, tera_syntax(&s)))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let tera_ctx = tera::Context::from_serialize(&data).unwrap();

    // Same work, same bytes: viper and minijinja must agree (both follow Jinja2);
    // tera formats some floats differently, so only its length is checked.
    for name in ["page.html", "rows.html"] {
        let a = viper.render(name, &viper_ctx).unwrap();
        let b = mj.get_template(name).unwrap().render(&mj_ctx).unwrap();
        let c = tera.render(name, &tera_ctx).unwrap();
        // minijinja also escapes '/' (as &#x2f;); Jinja2 and viper do not.
        assert!(
            a == b.replace("&#x2f;", "/"),
            "viper and minijinja render {name} identically"
        );
        assert!(
            a.len().abs_diff(c.len()) < a.len() / 20,
            "tera renders {name} alike"
        );
    }

    for name in ["page.html", "rows.html"] {
        let group_name = name.trim_end_matches(".html");
        let mut g = c.benchmark_group(group_name);
        g.measurement_time(Duration::from_secs(3));
        g.warm_up_time(Duration::from_secs(1));
        // Every engine renders to a fresh `String` through its ordinary `render` call.
        let vt = viper.get_template(name).unwrap();
        g.bench_function("viper", |b| b.iter(|| vt.render(&viper_ctx).unwrap().len()));
        let mt = mj.get_template(name).unwrap();
        g.bench_function("minijinja", |b| {
            b.iter(|| mt.render(&mj_ctx).unwrap().len())
        });
        g.bench_function("tera", |b| {
            b.iter(|| tera.render(name, &tera_ctx).unwrap().len())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_ratios(&[
        Pair {
            label: "page (layout+includes+100 rows+filters)",
            viper: "page/viper",
            peer: "page/minijinja",
            peer_name: "minijinja",
        },
        Pair {
            label: "page (layout+includes+100 rows+filters)",
            viper: "page/viper",
            peer: "page/tera",
            peer_name: "tera",
        },
        Pair {
            label: "rows (loop of 100)",
            viper: "rows/viper",
            peer: "rows/minijinja",
            peer_name: "minijinja",
        },
        Pair {
            label: "rows (loop of 100)",
            viper: "rows/viper",
            peer: "rows/tera",
            peer_name: "tera",
        },
    ]);
}
