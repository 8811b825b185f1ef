//! HTTP/1.1 at the server: request heads and bodies from viper-h1, the exchange in
//! progress, `Upgrade: h2c` and the hand-over to WebSocket.

use super::*;

#[derive(Debug)]
pub(super) struct H1Cur {
    pub(super) id: StreamId,
    pub(super) recv_done: bool,
    pub(super) responded: bool,
    pub(super) finished: bool,
    pub(super) streaming: bool,
    pub(super) head_req: bool,
    pub(super) want_writable: bool,
    pub(super) sse_next: Option<Instant>,
}

#[derive(Debug)]
pub(super) struct H1State {
    pub(super) conn: viper_h1::Connection,
    pub(super) cur: Option<H1Cur>,
    pub(super) upgrade: Option<(H1Head, Bytes)>,
    pub(super) next_id: StreamId,
}

pub(super) fn h1_close_reason(kind: H1Kind) -> CloseReason {
    match kind {
        H1Kind::HeaderTimeout | H1Kind::BodyTimeout | H1Kind::IdleTimeout => CloseReason::Timeout,
        H1Kind::HeadTooLarge
        | H1Kind::TooManyHeaders
        | H1Kind::UriTooLong
        | H1Kind::BodyTooLarge => CloseReason::Limit,
        _ => CloseReason::ProtocolError,
    }
}

pub(super) fn h1_request(head: &H1Head, id: StreamId, upgrade: Option<Upgrade>) -> Request {
    let mut headers = Headers::new();
    for (n, v) in head.headers.iter() {
        headers.push(n, v);
    }
    Request {
        id,
        version: match head.version {
            viper_h1::Version::Http10 => Version::Http10,
            _ => Version::Http11,
        },
        method: lossy(head.method.as_bytes()),
        target: lossy(&head.target),
        authority: head.headers.get("host").map(lossy),
        headers,
        upgrade,
    }
}

impl Connection {
    pub(super) fn switch_to_h1(&mut self, initial: &[u8]) {
        let mut conn = viper_h1::Connection::server(self.config.h1.clone(), self.now);
        conn.receive(initial);
        self.proto = Proto::H1(Box::new(H1State {
            conn,
            cur: None,
            upgrade: None,
            next_id: 0,
        }));
    }

    /// One step of HTTP/1.1; `true` when something happened (an event may be queued).
    pub(super) fn poll_h1(&mut self) -> bool {
        let Proto::H1(s) = &mut self.proto else {
            return false;
        };
        let Some(ev) = s.conn.poll_event() else {
            if s.conn.is_closed() && !self.closed_reported {
                let r = self.close_reason.unwrap_or(if self.peer_eof {
                    CloseReason::Peer
                } else {
                    CloseReason::Local
                });
                self.report_closed(r);
                return true;
            }
            return false;
        };
        match ev {
            viper_h1::Event::Request(head) => {
                s.next_id = s.next_id.wrapping_add(1);
                let id = s.next_id;
                s.cur = Some(H1Cur {
                    id,
                    recv_done: false,
                    responded: false,
                    finished: false,
                    streaming: false,
                    head_req: head.method == H1Method::Head,
                    want_writable: false,
                    sse_next: None,
                });
                self.stats.requests_h1 += 1;
                self.events
                    .push_back(Event::Request(h1_request(&head, id, None)));
            }
            viper_h1::Event::Data(data) => {
                if let Some(c) = &s.cur {
                    self.events.push_back(Event::Data { id: c.id, data });
                }
            }
            viper_h1::Event::End { trailers } => {
                if let Some(c) = &mut s.cur {
                    c.recv_done = true;
                    let id = c.id;
                    if c.finished {
                        s.cur = None;
                    }
                    let mut t = Headers::new();
                    for (n, v) in trailers.iter() {
                        t.push(n, v);
                    }
                    self.events.push_back(Event::End { id, trailers: t });
                    self.h1_after_exchange();
                }
            }
            viper_h1::Event::Upgrade {
                head: Head::Request(head),
                rest,
            } => {
                let h2c = self.config.h2c_upgrade
                    && head.headers.get("http2-settings").is_some()
                    && head
                        .headers
                        .get_all("upgrade")
                        .any(|v| has_token(v, b"h2c"));
                if h2c && self.try_h2c(&head, &rest) {
                    return true;
                }
                let Proto::H1(s) = &mut self.proto else {
                    return true;
                };
                let ws = head
                    .headers
                    .get_all("upgrade")
                    .any(|v| has_token(v, b"websocket"));
                s.next_id = s.next_id.wrapping_add(1);
                let id = s.next_id;
                s.cur = Some(H1Cur {
                    id,
                    recv_done: true,
                    responded: false,
                    finished: false,
                    streaming: false,
                    head_req: false,
                    want_writable: false,
                    sse_next: None,
                });
                self.stats.requests_h1 += 1;
                let kind = if ws {
                    Upgrade::WebSocket
                } else {
                    Upgrade::Other
                };
                self.events
                    .push_back(Event::Request(h1_request(&head, id, Some(kind))));
                self.events.push_back(Event::End {
                    id,
                    trailers: Headers::new(),
                });
                s.upgrade = Some((head, rest));
            }
            viper_h1::Event::Http2Preface { bytes } => {
                self.switch_to_h2(&bytes);
            }
            viper_h1::Event::Error(e) => {
                self.close_reason.get_or_insert(h1_close_reason(e.kind));
                if let Some(status) = e.status {
                    self.stats.errors_h1 += 1;
                    let mut hs: Vec<(&[u8], &[u8])> =
                        Vec::from([(&b"content-length"[..], &b"0"[..])]);
                    hs.extend(date_field(&self.date, status, &hs));
                    if s.conn.send_response(status, &hs).is_ok() {
                        let _ = s.conn.finish();
                    }
                }
                if let Some(c) = s.cur.take() {
                    if !c.finished {
                        self.events.push_back(Event::Reset { id: c.id });
                    }
                }
            }
            viper_h1::Event::Closed => {
                self.close_reason.get_or_insert(CloseReason::Peer);
            }
            viper_h1::Event::Upgrade { .. }
            | viper_h1::Event::Continue
            | viper_h1::Event::Informational(_)
            | viper_h1::Event::Response(_) => {}
        }
        true
    }

    /// Switches to HTTP/2 for an `Upgrade: h2c` request; `false` if the settings are
    /// unusable (the request is then served as HTTP/1.1).
    pub(super) fn try_h2c(&mut self, head: &H1Head, rest: &Bytes) -> bool {
        let Proto::H1(s) = &mut self.proto else {
            return false;
        };
        let raw = head.headers.get("http2-settings").unwrap_or(&[]);
        let trimmed: Vec<u8> = raw
            .iter()
            .copied()
            .filter(|b| !matches!(b, b'=' | b' ' | b'\t'))
            .collect();
        let Ok(settings) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&trimmed) else {
            return false;
        };
        let fields: Vec<(&[u8], &[u8])> = head.headers.iter().collect();
        let up = H2cUpgrade {
            settings: &settings,
            method: head.method.as_bytes(),
            target: &head.target,
            authority: b"",
            headers: &fields,
        };
        let Ok(conn) = viper_h2::Connection::from_h2c_upgrade(self.config.h2.clone(), self.now, up)
        else {
            return false;
        };
        if s.conn
            .send_response(101, &[("connection", "Upgrade"), ("upgrade", "h2c")])
            .is_err()
        {
            return false;
        }
        while let Some(b) = s.conn.take_transmit() {
            self.out.extend_from_slice(&b);
        }
        self.stats.upgrades_h2c += 1;
        self.install_h2(Box::new(conn), rest);
        true
    }

    pub(super) fn h1_after_exchange(&mut self) {
        if !self.shutting_down {
            return;
        }
        if let Proto::H1(s) = &mut self.proto {
            if s.cur.is_none() && s.upgrade.is_none() {
                self.close_reason.get_or_insert(CloseReason::Local);
                s.conn.close();
            }
        }
    }

    pub(super) fn h1_finished(&mut self, id: StreamId) {
        if let Proto::H1(s) = &mut self.proto {
            if let Some(c) = s.cur.as_mut().filter(|c| c.id == id) {
                c.finished = true;
                c.sse_next = None;
                if c.recv_done {
                    s.cur = None;
                }
            }
        }
        self.h1_after_exchange();
    }

    pub(super) fn h1_send_response<N, V>(
        &mut self,
        id: StreamId,
        status: u16,
        headers: &[(N, V)],
        body: Body<'_>,
        len: Option<&[u8]>,
    ) -> Result<(), Error>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let Proto::H1(s) = &mut self.proto else {
            return Err(Error::UnknownStream);
        };
        let no_body_status = status == 204 || status == 304 || status < 200;
        let shutting_down = self.shutting_down;
        let c = s
            .cur
            .as_mut()
            .filter(|c| c.id == id)
            .ok_or(Error::UnknownStream)?;
        if c.responded {
            return Err(Error::WrongState);
        }
        let mut hs: Vec<(&[u8], &[u8])> = headers
            .iter()
            .map(|(n, v)| (n.as_ref(), v.as_ref()))
            .collect();
        if let Some(l) = len {
            hs.push((b"content-length", l));
        }
        hs.extend(date_field(&self.date, status, headers));
        if shutting_down {
            hs.push((b"connection", b"close"));
        }
        s.conn.send_response(status, &hs).map_err(|e| match e {
            viper_h1::SendError::InvalidHead => Error::InvalidHeader,
            _ => Error::WrongState,
        })?;
        c.responded = true;
        let head_req = c.head_req;
        match body {
            Body::Streaming => {
                c.streaming = true;
            }
            Body::Full(b) => {
                if !head_req && !no_body_status && !b.is_empty() {
                    let _ = s.conn.send_data(Bytes::copy_from_slice(b));
                }
                let _ = s.conn.finish();
                self.h1_finished(id);
            }
            Body::Empty => {
                let _ = s.conn.finish();
                self.h1_finished(id);
            }
        }
        self.pump();
        Ok(())
    }

    pub(super) fn h1_send_data(
        &mut self,
        id: StreamId,
        data: &[u8],
        room: usize,
    ) -> Result<usize, Error> {
        let Proto::H1(s) = &mut self.proto else {
            return Err(Error::UnknownStream);
        };
        let c = s
            .cur
            .as_mut()
            .filter(|c| c.id == id)
            .ok_or(Error::UnknownStream)?;
        if !c.streaming || c.finished {
            return Err(Error::WrongState);
        }
        if c.head_req {
            return Ok(data.len());
        }
        let n = room.min(data.len());
        if n < data.len() {
            c.want_writable = true;
        }
        if n > 0 {
            s.conn
                .send_data(Bytes::copy_from_slice(&data[..n]))
                .map_err(|_| Error::WrongState)?;
            self.pump();
        }
        Ok(n)
    }

    pub(super) fn h1_finish<N, V>(&mut self, id: StreamId, trailers: &[(N, V)]) -> Result<(), Error>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let Proto::H1(s) = &mut self.proto else {
            return Err(Error::UnknownStream);
        };
        let c = s
            .cur
            .as_mut()
            .filter(|c| c.id == id)
            .ok_or(Error::UnknownStream)?;
        if !c.streaming || c.finished {
            return Err(Error::WrongState);
        }
        let r = if trailers.is_empty() || c.head_req {
            s.conn.finish()
        } else {
            s.conn.send_trailers(trailers)
        };
        r.map_err(|e| match e {
            viper_h1::SendError::InvalidHead => Error::InvalidHeader,
            _ => Error::WrongState,
        })?;
        self.h1_finished(id);
        self.pump();
        Ok(())
    }
}
