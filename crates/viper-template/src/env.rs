//! Configuration, loaders, the compiled-template cache and the public render API.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use core::cell::RefCell;
use core::fmt;

use crate::ast::Program;
use crate::error::{Error, ErrorKind};
use crate::lexer::{self, LexOptions, LineIndex};
use crate::render::{Fetch, Renderer};
use crate::value::Value;

/// Engine settings and limits. Every limit has a safe default; hitting one yields an
/// [`ErrorKind::LimitExceeded`] error, never a panic or unbounded growth.
#[derive(Clone, Debug)]
pub struct Config {
    /// HTML-escape `{{ … }}` output (Jinja2 `autoescape=True`). Default `true`.
    pub autoescape: bool,
    /// Using an undefined variable is an error (Jinja2 `StrictUndefined`). Default
    /// `true`; `false` behaves like Jinja2's default `Undefined` (prints as nothing).
    pub strict_undefined: bool,
    /// Remove the first newline after a block tag. Default `false` (as Jinja2).
    pub trim_blocks: bool,
    /// Strip spaces and tabs before a block tag at the start of a line. Default `false`.
    pub lstrip_blocks: bool,
    /// Keep a single trailing newline of the template source. Default `false` (as Jinja2).
    pub keep_trailing_newline: bool,
    /// Maximum bytes of rendered output (also bounds every string or list a template
    /// builds and every captured macro/block output). Default 4 MiB.
    pub max_output_bytes: usize,
    /// Maximum total `for` loop iterations in one render. Default 100 000.
    pub max_loop_iterations: usize,
    /// Maximum depth of nested include / extends / block / macro calls. Default 32.
    pub max_depth: usize,
    /// Maximum syntactic nesting of expressions and statements. Default 64.
    pub max_nesting: usize,
    /// Maximum interpreter recursion in one render: every nested statement body and
    /// every nested expression counts one level, across includes, blocks and macro
    /// calls. It bounds the native stack a render uses (see the README for measured
    /// bytes per level). Default 100.
    pub max_recursion: usize,
    /// Maximum template source size in bytes. Default 1 MiB.
    pub max_source_bytes: usize,
    /// Byte budget of the compiled-template cache (estimated sizes). Default 1 MiB.
    pub cache_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            autoescape: true,
            strict_undefined: true,
            trim_blocks: false,
            lstrip_blocks: false,
            keep_trailing_newline: false,
            max_output_bytes: 4 << 20,
            max_loop_iterations: 100_000,
            max_depth: 32,
            max_nesting: 64,
            max_recursion: 100,
            max_source_bytes: 1 << 20,
            cache_bytes: 1 << 20,
        }
    }
}

/// Template source handed out by a [`Loader`].
#[derive(Clone, Debug)]
pub struct Source {
    /// The template text.
    pub text: String,
    /// A version or signature; a cached compilation is reused only while it matches.
    pub version: u64,
}

/// Where templates come from. Implemented by the application (no I/O in this crate).
pub trait Loader {
    /// The current version of `name`, or `None` if there is no such template. Called on
    /// every lookup, so it should be cheap.
    fn version(&self, name: &str) -> Option<u64>;
    /// The source of `name`, or `None` if there is no such template.
    fn load(&self, name: &str) -> Option<Source>;
}

/// An in-memory loader: a map from names to sources. Replacing a template bumps its
/// version, which invalidates the cached compilation.
#[derive(Clone, Debug, Default)]
pub struct MapLoader {
    map: BTreeMap<String, (String, u64)>,
    counter: u64,
}

impl MapLoader {
    /// An empty loader.
    pub fn new() -> Self {
        MapLoader::default()
    }

    /// Adds or replaces a template.
    pub fn insert(&mut self, name: impl Into<String>, source: impl Into<String>) {
        self.counter += 1;
        self.map.insert(name.into(), (source.into(), self.counter));
    }

    /// Removes a template.
    pub fn remove(&mut self, name: &str) {
        self.map.remove(name);
    }
}

impl Loader for MapLoader {
    fn version(&self, name: &str) -> Option<u64> {
        self.map.get(name).map(|(_, v)| *v)
    }

    fn load(&self, name: &str) -> Option<Source> {
        self.map.get(name).map(|(t, v)| Source {
            text: t.clone(),
            version: *v,
        })
    }
}

/// Loads templates from a directory (`std` feature). The version is derived from the
/// file's modification time and length.
#[cfg(feature = "std")]
#[derive(Clone, Debug)]
pub struct FsLoader {
    root: std::path::PathBuf,
}

#[cfg(feature = "std")]
impl FsLoader {
    /// Serves templates below `root`.
    pub fn new(root: impl Into<std::path::PathBuf>) -> Self {
        FsLoader { root: root.into() }
    }

    fn path(&self, name: &str) -> Option<std::path::PathBuf> {
        valid_name(name).then(|| self.root.join(name))
    }
}

#[cfg(feature = "std")]
impl Loader for FsLoader {
    fn version(&self, name: &str) -> Option<u64> {
        let meta = std::fs::metadata(self.path(name)?).ok()?;
        let mtime = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos() as u64;
        Some(mtime ^ meta.len().rotate_left(32))
    }

    fn load(&self, name: &str) -> Option<Source> {
        let version = self.version(name)?;
        let text = std::fs::read_to_string(self.path(name)?).ok()?;
        Some(Source { text, version })
    }
}

/// A template name is a relative path without `..`, empty segments or backslashes.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains('\0')
        && name
            .split('/')
            .all(|seg| !seg.is_empty() && seg != ".." && seg != ".")
}

struct Entry {
    prog: Rc<Program>,
    version: u64,
    size: usize,
    used: u64,
}

#[derive(Default)]
struct Cache {
    entries: BTreeMap<String, Entry>,
    total: usize,
    tick: u64,
}

/// The template engine: configuration, a loader and a cache of compiled templates.
pub struct Environment<L> {
    config: Config,
    loader: L,
    cache: RefCell<Cache>,
}

impl<L: Loader> Environment<L> {
    /// An environment with the default [`Config`].
    pub fn new(loader: L) -> Self {
        Self::with_config(loader, Config::default())
    }

    /// An environment with an explicit configuration.
    pub fn with_config(loader: L, config: Config) -> Self {
        Environment {
            config,
            loader,
            cache: RefCell::new(Cache::default()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The loader.
    pub fn loader(&self) -> &L {
        &self.loader
    }

    /// Mutable access to the loader (e.g. to add templates to a [`MapLoader`]).
    pub fn loader_mut(&mut self) -> &mut L {
        &mut self.loader
    }

    /// Estimated bytes currently held by the compiled-template cache.
    pub fn cache_size(&self) -> usize {
        self.cache.borrow().total
    }

    /// Number of templates in the cache.
    pub fn cache_len(&self) -> usize {
        self.cache.borrow().entries.len()
    }

    /// Looks up (compiling if needed) the template `name`.
    pub fn get_template(&self, name: &str) -> Result<Template<'_, L>, Error> {
        Ok(Template {
            env: self,
            prog: self.program(name)?,
        })
    }

    /// Compiles a template from a string, outside the cache. It may still include or
    /// extend templates from the loader.
    pub fn template_from_str(&self, name: &str, source: &str) -> Result<Template<'_, L>, Error> {
        Ok(Template {
            env: self,
            prog: Rc::new(compile(name, source, &self.config)?),
        })
    }

    /// Renders the template `name` with `ctx` (a map, or `Value::NONE` for none) to a
    /// string.
    pub fn render(&self, name: &str, ctx: &Value) -> Result<String, Error> {
        self.get_template(name)?.render(ctx)
    }

    fn program(&self, name: &str) -> Result<Rc<Program>, Error> {
        if !valid_name(name) {
            return Err(Error::new(
                ErrorKind::TemplateNotFound,
                format!("invalid template name '{name}'"),
            ));
        }
        let not_found = || {
            Error::new(
                ErrorKind::TemplateNotFound,
                format!("template '{name}' not found"),
            )
        };
        let version = self.loader.version(name).ok_or_else(not_found)?;
        {
            let mut cache = self.cache.borrow_mut();
            cache.tick += 1;
            let tick = cache.tick;
            if let Some(e) = cache.entries.get_mut(name) {
                if e.version == version {
                    e.used = tick;
                    return Ok(e.prog.clone());
                }
            }
        }
        let src = self.loader.load(name).ok_or_else(not_found)?;
        let prog = Rc::new(compile(name, &src.text, &self.config)?);
        let size = src.text.len().saturating_mul(3).saturating_add(256);
        let mut cache = self.cache.borrow_mut();
        if let Some(old) = cache.entries.remove(name) {
            cache.total -= old.size;
        }
        if size <= self.config.cache_bytes {
            while cache.total + size > self.config.cache_bytes {
                let Some(victim) = cache
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.used)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                if let Some(e) = cache.entries.remove(&victim) {
                    cache.total -= e.size;
                }
            }
            cache.total += size;
            let used = cache.tick;
            cache.entries.insert(
                String::from(name),
                Entry {
                    prog: prog.clone(),
                    version: src.version,
                    size,
                    used,
                },
            );
        }
        Ok(prog)
    }
}

impl<L: Loader> Fetch for Environment<L> {
    fn fetch(&self, name: &str) -> Result<Rc<Program>, Error> {
        self.program(name)
    }
}

/// Compiles `source` into a program.
pub(crate) fn compile(name: &str, source: &str, config: &Config) -> Result<Program, Error> {
    if source.len() > config.max_source_bytes {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "template source exceeds max_source_bytes ({})",
                config.max_source_bytes
            ),
        )
        .at(name, 1, 1));
    }
    let src = lexer::normalize(source, config.keep_trailing_newline);
    let lines = LineIndex::new(&src);
    let opts = LexOptions {
        trim_blocks: config.trim_blocks,
        lstrip_blocks: config.lstrip_blocks,
    };
    let toks = lexer::tokenize(&src, opts, &lines, name)?;
    crate::parser::parse(
        toks,
        &lines,
        Rc::from(name),
        config.max_nesting,
        config.autoescape,
    )
}

/// A compiled template bound to its environment; render it as often as needed.
pub struct Template<'e, L> {
    env: &'e Environment<L>,
    prog: Rc<Program>,
}

impl<L: Loader> Template<'_, L> {
    /// The template's name.
    pub fn name(&self) -> &str {
        &self.prog.name
    }

    /// Renders into `out`, streaming: nothing but captured macro/block output is
    /// buffered.
    pub fn render_to(&self, ctx: &Value, out: &mut dyn fmt::Write) -> Result<(), Error> {
        if !(ctx.as_map().is_some() || matches!(ctx.0, crate::value::Repr::None)) {
            return Err(Error::new(ErrorKind::Type, "the context must be a map"));
        }
        let mut r = Renderer::new(&self.env.config, self.env, ctx, out);
        r.render_root(self.prog.clone())
    }

    /// Renders into a new string.
    pub fn render(&self, ctx: &Value) -> Result<String, Error> {
        let hint = &self.prog.size_hint;
        let mut s = String::with_capacity(hint.get().min(self.env.config.max_output_bytes));
        self.render_to(ctx, &mut s)?;
        hint.set(s.len());
        Ok(s)
    }
}
