#![doc = include_str!("../README.md")]

mod app;
mod hub;
mod server;

pub use app::{
    App, BodySender, BoxFuture, Handler, Param, Request, Response, SseMessage, SseSender, WsSession,
};
pub use hub::Hub;
pub use server::{run, serve, shutdown_signal, ServerConfig, SharedStats};
pub use viper_router::Method;
pub use viper_server::{Stats, WsMessage};
