//! The small application the viper-esp-idf tests and the `esp_idf_server` example serve:
//! `/hello`, `/slow` (the worker sleeps 30 ms), `/events` (three SSE events), `/ws` (echo),
//! `/ws/chat` (every message goes to every member, in order), 404 otherwise.

use std::time::Duration;

use viper_esp_idf::{Command, ConnId, Outbox, Worker};
use viper_server::Event;

/// The worker application: the chat's members are its only state.
#[derive(Default)]
pub(crate) struct App {
    chat: Vec<(ConnId, viper_server::StreamId)>,
}

impl Worker for App {
    fn event(&mut self, conn: ConnId, event: Event, out: &mut Outbox) {
        match event {
            Event::Request(r) => {
                let id = r.id;
                match r.path() {
                    "/ws/chat" if r.is_websocket() => {
                        self.chat.push((conn, id));
                        out.send(
                            conn,
                            Command::AcceptWebSocket {
                                id,
                                protocols: vec![],
                            },
                        );
                    }
                    "/ws" if r.is_websocket() => {
                        out.send(
                            conn,
                            Command::AcceptWebSocket {
                                id,
                                protocols: vec![],
                            },
                        );
                    }
                    "/hello" => {
                        out.send(
                            conn,
                            Command::respond(
                                id,
                                200,
                                &[("content-type", "text/plain")],
                                b"Hello, world!",
                            ),
                        );
                    }
                    "/slow" => {
                        std::thread::sleep(Duration::from_millis(30));
                        let body = format!("slow {}", r.query().unwrap_or(""));
                        out.send(
                            conn,
                            Command::respond(
                                id,
                                200,
                                &[("content-type", "text/plain")],
                                body.as_bytes(),
                            ),
                        );
                    }
                    "/events" => {
                        out.send(
                            conn,
                            Command::StartSse {
                                id,
                                headers: vec![],
                            },
                        );
                        for i in 1..=3 {
                            out.send(
                                conn,
                                Command::Sse {
                                    id,
                                    event: Some("reading".into()),
                                    data: format!("{{\"n\": {i}}}"),
                                    event_id: Some(i.to_string()),
                                },
                            );
                        }
                        out.send(conn, Command::Finish { id });
                    }
                    _ => {
                        out.send(
                            conn,
                            Command::respond(
                                id,
                                404,
                                &[("content-type", "application/json")],
                                br#"{"detail":"Not Found"}"#,
                            ),
                        );
                    }
                }
            }
            Event::WsMessage { id, message } => {
                if self.chat.contains(&(conn, id)) {
                    for &(c, member) in &self.chat {
                        out.send(
                            c,
                            Command::WsSend {
                                id: member,
                                message: message.clone(),
                            },
                        );
                    }
                } else {
                    out.send(conn, Command::WsSend { id, message });
                }
            }
            Event::WsClosed { id, .. } => self.chat.retain(|m| *m != (conn, id)),
            Event::Closed { .. } => self.chat.retain(|m| m.0 != conn),
            _ => {}
        }
    }
}
