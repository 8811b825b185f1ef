//! WebSocket at the server: the opening handshake over HTTP/1.1 and the session that
//! follows it.

use super::*;

#[derive(Debug)]
pub(super) struct WsState {
    pub(super) ws: WebSocket,
    pub(super) id: StreamId,
}

/// A session's event as the application sees it (the same over HTTP/1.1 and
/// HTTP/2); `None` for pings and pongs, which the session answers itself.
pub(super) fn ws_event(id: StreamId, ev: viper_ws::Event, stats: &mut Stats) -> Option<Event> {
    Some(match ev {
        viper_ws::Event::Text(t) => {
            stats.ws_messages_in += 1;
            Event::WsMessage {
                id,
                message: WsMessage::Text(t),
            }
        }
        viper_ws::Event::Binary(b) => {
            stats.ws_messages_in += 1;
            Event::WsMessage {
                id,
                message: WsMessage::Binary(b),
            }
        }
        viper_ws::Event::Close { code, .. } => Event::WsClosed { id, code: code.0 },
        viper_ws::Event::Error(e) => {
            stats.errors_ws += 1;
            let code = e.close_code().map_or(1006, |c| c.0);
            Event::WsClosed { id, code }
        }
        viper_ws::Event::Ping(_) | viper_ws::Event::Pong(_) => return None,
    })
}

impl Connection {
    pub(super) fn poll_ws(&mut self) -> bool {
        let Proto::Ws(s) = &mut self.proto else {
            return false;
        };
        let id = s.id;
        let Some(ev) = s.ws.poll_event() else {
            if s.ws.state() == viper_ws::State::Closed && !self.closed_reported {
                let r = self.close_reason.unwrap_or(CloseReason::Local);
                self.report_closed(r);
                return true;
            }
            return false;
        };
        match ev {
            viper_ws::Event::Text(t) => {
                self.stats.ws_messages_in += 1;
                self.events.push_back(Event::WsMessage {
                    id,
                    message: WsMessage::Text(t),
                });
            }
            viper_ws::Event::Binary(b) => {
                self.stats.ws_messages_in += 1;
                self.events.push_back(Event::WsMessage {
                    id,
                    message: WsMessage::Binary(b),
                });
            }
            viper_ws::Event::Close { code, .. } => {
                self.close_reason.get_or_insert(CloseReason::Peer);
                self.events.push_back(Event::WsClosed { id, code: code.0 });
            }
            viper_ws::Event::Error(e) => {
                self.stats.errors_ws += 1;
                let reason = match e {
                    viper_ws::Error::PongTimeout | viper_ws::Error::CloseTimeout => {
                        CloseReason::Timeout
                    }
                    viper_ws::Error::FrameTooLarge | viper_ws::Error::MessageTooLarge => {
                        CloseReason::Limit
                    }
                    _ => CloseReason::ProtocolError,
                };
                self.close_reason.get_or_insert(reason);
                let code = e.close_code().map_or(1006, |c| c.0);
                self.events.push_back(Event::WsClosed { id, code });
            }
            viper_ws::Event::Ping(_) | viper_ws::Event::Pong(_) => {}
        }
        true
    }

    /// Accepts the WebSocket handshake of request `id` (an HTTP/1.1 request reported
    /// with [`Upgrade::WebSocket`]): sends `101` with the subprotocol chosen from
    /// `protocols` (in preference order) and switches the connection to WebSocket.
    /// An invalid handshake is answered with 400/426 and reported as
    /// [`Error::HandshakeRejected`].
    ///
    /// On HTTP/2 the request is an extended CONNECT with `:protocol websocket`
    /// (RFC 8441): the answer is `200`, the session runs on that stream (other streams
    /// go on), and its events and commands are the same, named by the stream id.
    pub fn accept_websocket(&mut self, id: StreamId, protocols: &[&str]) -> Result<(), Error> {
        if let Proto::H2(_) = &self.proto {
            return self.h2_accept_websocket(id, protocols);
        }
        let Proto::H1(s) = &mut self.proto else {
            return Err(Error::WrongState);
        };
        if s.cur.as_ref().is_none_or(|c| c.id != id || c.responded) {
            return Err(Error::UnknownStream);
        }
        let Some((head, rest)) = s.upgrade.take() else {
            return Err(Error::WrongState);
        };
        let cfg = ServerConfig {
            protocols: protocols.iter().map(|p| String::from(*p)).collect(),
            deflate: self.config.ws_deflate,
        };
        let version = match head.version {
            viper_h1::Version::Http10 => (1, 0),
            _ => (1, 1),
        };
        match handshake::accept(head.method.as_bytes(), version, head.headers.iter(), &cfg) {
            Ok(acc) => {
                s.conn
                    .send_response(101, &acc.headers)
                    .map_err(|_| Error::WrongState)?;
                while let Some(b) = s.conn.take_transmit() {
                    self.out.extend_from_slice(&b);
                }
                let ws = acc.into_websocket(self.config.ws, &rest);
                self.proto = Proto::Ws(Box::new(WsState { ws, id }));
                self.stats.websocket_sessions += 1;
                Ok(())
            }
            Err(rej) => {
                let mut hs: Vec<(&[u8], &[u8])> = rej
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
                    .collect();
                hs.push((b"content-length", b"0"));
                hs.extend(date_field(&self.date, rej.status, &rej.headers));
                if s.conn.send_response(rej.status, &hs).is_ok() {
                    let _ = s.conn.finish();
                }
                if let Some(c) = s.cur.as_mut() {
                    c.responded = true;
                }
                self.h1_finished(id);
                self.pump();
                Err(Error::HandshakeRejected(rej.status))
            }
        }
    }

    pub(super) fn ws_state(&mut self, id: StreamId) -> Result<&mut WebSocket, Error> {
        match &mut self.proto {
            Proto::Ws(s) if s.id == id => Ok(&mut s.ws),
            Proto::H2(s) => s
                .streams
                .get_mut(&id)
                .and_then(|st| st.ws.as_deref_mut())
                .ok_or(Error::UnknownStream),
            Proto::Finished => Err(Error::Closed),
            _ => Err(Error::UnknownStream),
        }
    }

    pub(super) fn ws_result(r: Result<(), viper_ws::SendError>) -> Result<(), Error> {
        r.map_err(|e| match e {
            viper_ws::SendError::Closed => Error::Closed,
            viper_ws::SendError::WouldBlock => Error::WouldBlock,
            _ => Error::WrongState,
        })
    }

    /// Sends a WebSocket message on session `id`. [`Error::WouldBlock`] when the
    /// output buffer is full (the client reads too slowly).
    pub fn ws_send(&mut self, id: StreamId, message: &WsMessage) -> Result<(), Error> {
        if self.room() == 0 {
            return Err(Error::WouldBlock);
        }
        let ws = self.ws_state(id)?;
        let r = match message {
            WsMessage::Text(t) => ws.send_text(t),
            WsMessage::Binary(b) => ws.send_binary(b),
        };
        Self::ws_result(r)?;
        self.stats.ws_messages_out += 1;
        self.pump();
        Ok(())
    }

    /// Sends a text message (see [`ws_send`](Self::ws_send)).
    pub fn ws_send_text(&mut self, id: StreamId, text: &str) -> Result<(), Error> {
        if self.room() == 0 {
            return Err(Error::WouldBlock);
        }
        let ws = self.ws_state(id)?;
        Self::ws_result(ws.send_text(text))?;
        self.stats.ws_messages_out += 1;
        self.pump();
        Ok(())
    }

    /// Starts the WebSocket closing handshake with `code` and `reason`.
    pub fn ws_close(&mut self, id: StreamId, code: u16, reason: &str) -> Result<(), Error> {
        let ws = self.ws_state(id)?;
        Self::ws_result(ws.send_close(CloseCode(code), reason))?;
        if let Proto::Ws(_) = self.proto {
            self.close_reason.get_or_insert(CloseReason::Local);
        }
        self.pump();
        Ok(())
    }
}
