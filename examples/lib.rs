//! Runnable Viper programs live beside this file as `[[example]]` targets; the demo's
//! application is here so tests can serve it in-process ([`demo::app`]).

#[path = "demo/app.rs"]
pub mod demo;
