//! HTTP/2 at the server: streams of viper-h2 mapped to requests, per-stream response
//! backlogs, body flow control.

use super::*;

#[derive(Debug, Default)]
pub(super) struct H2Stream {
    pub(super) recv_ended: bool,
    pub(super) responded: bool,
    pub(super) sent_done: bool,
    pub(super) head_req: bool,
    pub(super) backlog: Vec<u8>,
    pub(super) backlog_end: bool,
    pub(super) sse_next: Option<Instant>,
    /// Flow-controlled body bytes handed to the application and not yet released
    /// (manual release mode only).
    pub(super) unreleased: u32,
    /// The application will not read the rest of the body: credit it back at once.
    pub(super) discard: bool,
    /// The request head ended the stream: no body at all.
    pub(super) no_body: bool,
    /// An extended CONNECT with `:protocol websocket` (RFC 8441): the request fields
    /// the handshake reads, until `accept_websocket` (or an ordinary answer).
    pub(super) ws_offer: Option<Vec<(Vec<u8>, Vec<u8>)>>,
    /// The WebSocket session carried by this stream's DATA, once accepted.
    pub(super) ws: Option<Box<WebSocket>>,
}

fn is_ws_connect(head: &viper_h2::RequestHead) -> bool {
    head.method() == b"CONNECT" && head.protocol() == Some(b"websocket")
}

#[derive(Debug)]
pub(super) struct H2State {
    pub(super) conn: Box<viper_h2::Connection>,
    pub(super) streams: BTreeMap<StreamId, H2Stream>,
    pub(super) pending_in: Vec<u8>,
    pub(super) idle_since: Option<Instant>,
    pub(super) fed: usize,
}

pub(super) fn h2_request(head: &viper_h2::RequestHead, id: StreamId) -> Request {
    let mut headers = Headers::new();
    for f in head.headers() {
        headers.push(f.name, f.value);
    }
    let upgrade = match head.protocol() {
        Some(_) if is_ws_connect(head) => Some(Upgrade::WebSocket),
        Some(_) => Some(Upgrade::Other),
        None if head.method() == b"CONNECT" => Some(Upgrade::Other),
        None => None,
    };
    Request {
        id,
        version: Version::Http2,
        method: lossy(head.method()),
        target: lossy(head.path().unwrap_or(b"")),
        authority: head.authority().map(lossy),
        headers,
        upgrade,
    }
}

pub(super) fn is_h2_forbidden(name: &[u8]) -> bool {
    [
        &b"connection"[..],
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"upgrade",
    ]
    .iter()
    .any(|f| name.eq_ignore_ascii_case(f))
}

/// Lowercased names for HTTP/2, connection-specific fields dropped.
pub(super) fn h2_fields<N: AsRef<[u8]>, V: AsRef<[u8]>>(
    headers: &[(N, V)],
) -> Vec<(Vec<u8>, &[u8])> {
    headers
        .iter()
        .filter(|(n, _)| !is_h2_forbidden(n.as_ref()))
        .map(|(n, v)| (n.as_ref().to_ascii_lowercase(), v.as_ref()))
        .collect()
}

impl Connection {
    pub(super) fn switch_to_h2(&mut self, initial: &[u8]) {
        let conn = Box::new(viper_h2::Connection::new(self.config.h2.clone(), self.now));
        self.install_h2(conn, initial);
    }

    pub(super) fn install_h2(&mut self, conn: Box<viper_h2::Connection>, initial: &[u8]) {
        let mut s = H2State {
            conn,
            streams: BTreeMap::new(),
            pending_in: Vec::new(),
            idle_since: Some(self.now),
            fed: 0,
        };
        let n = s.conn.receive(initial);
        s.fed = n;
        s.pending_in
            .extend_from_slice(initial.get(n..).unwrap_or(&[]));
        self.proto = Proto::H2(Box::new(s));
    }

    pub(super) fn poll_h2(&mut self) -> bool {
        let now = self.now;
        let Proto::H2(s) = &mut self.proto else {
            return false;
        };
        let Some(ev) = s.conn.poll_event() else {
            if s.conn.open_streams() == 0 {
                s.idle_since.get_or_insert(now);
            } else {
                s.idle_since = None;
            }
            if s.conn.is_closed() && !self.closed_reported {
                let r = self.close_reason.unwrap_or(CloseReason::Local);
                self.report_closed(r);
                return true;
            }
            return false;
        };
        use viper_h2::Event as E;
        match ev {
            E::Request {
                stream_id,
                head,
                end_stream,
            } => {
                s.idle_since = None;
                s.streams.insert(
                    stream_id,
                    H2Stream {
                        head_req: head.method() == b"HEAD",
                        no_body: end_stream,
                        ws_offer: is_ws_connect(&head).then(|| {
                            head.headers()
                                .map(|f| (f.name.to_vec(), f.value.to_vec()))
                                .collect()
                        }),
                        ..H2Stream::default()
                    },
                );
                self.stats.requests_h2 += 1;
                self.events
                    .push_back(Event::Request(h2_request(&head, stream_id)));
            }
            E::Data {
                stream_id,
                data,
                flow_controlled_len,
            } => {
                let manual = !self.config.h2.auto_release;
                if s.streams.get(&stream_id).is_some_and(|st| st.ws.is_some()) {
                    if manual && flow_controlled_len > 0 {
                        let _ = s.conn.release_capacity(stream_id, flow_controlled_len);
                    }
                    self.h2_ws_input(stream_id, &data, false);
                    return true;
                }
                match s.streams.get_mut(&stream_id) {
                    Some(st) if !st.discard && !data.is_empty() => {
                        if manual {
                            st.unreleased = st.unreleased.saturating_add(flow_controlled_len);
                        }
                        self.events.push_back(Event::Data {
                            id: stream_id,
                            data: Bytes::from(data),
                        });
                    }
                    // Nobody will read these bytes: give their stream window back now,
                    // so the peer can finish sending a body that is being dropped.
                    _ if manual && flow_controlled_len > 0 => {
                        let _ = s.conn.release_capacity(stream_id, flow_controlled_len);
                    }
                    _ => {}
                }
            }
            E::Trailers {
                stream_id,
                trailers,
            } => {
                if let Some(st) = s.streams.get_mut(&stream_id) {
                    st.recv_ended = true;
                    let mut t = Headers::new();
                    for f in trailers.iter() {
                        t.push(f.name, f.value);
                    }
                    if st.sent_done {
                        s.streams.remove(&stream_id);
                    }
                    self.events.push_back(Event::End {
                        id: stream_id,
                        trailers: t,
                    });
                }
            }
            E::StreamEnded { stream_id }
                if s.streams.get(&stream_id).is_some_and(|st| st.ws.is_some()) =>
            {
                self.h2_ws_input(stream_id, &[], true);
            }
            E::StreamEnded { stream_id } => {
                if let Some(st) = s.streams.get_mut(&stream_id) {
                    if !st.recv_ended {
                        st.recv_ended = true;
                        if st.sent_done {
                            s.streams.remove(&stream_id);
                        }
                        self.events.push_back(Event::End {
                            id: stream_id,
                            trailers: Headers::new(),
                        });
                    }
                }
            }
            E::StreamReset { stream_id, .. } => {
                self.stats.h2_stream_resets += 1;
                if s.streams.remove(&stream_id).is_some() {
                    self.events.push_back(Event::Reset { id: stream_id });
                }
            }
            E::SendCapacity { stream_id }
                if s.streams.get(&stream_id).is_some_and(|st| st.ws.is_some()) =>
            {
                Self::h2_ws_flush(s, stream_id);
            }
            E::SendCapacity { stream_id } => {
                let ready = Self::h2_flush_backlog(s, stream_id);
                if ready {
                    self.events.push_back(Event::Writable { id: stream_id });
                }
            }
            E::ConnectionTerminated {
                error_code, remote, ..
            } => {
                let reason = if remote {
                    CloseReason::Peer
                } else if error_code == ErrorCode::NO_ERROR {
                    self.close_reason.unwrap_or(CloseReason::Local)
                } else if error_code == ErrorCode::SETTINGS_TIMEOUT {
                    self.stats.errors_h2 += 1;
                    CloseReason::Timeout
                } else if error_code == ErrorCode::ENHANCE_YOUR_CALM
                    || error_code == ErrorCode::REFUSED_STREAM
                {
                    self.stats.errors_h2 += 1;
                    CloseReason::Limit
                } else {
                    self.stats.errors_h2 += 1;
                    CloseReason::ProtocolError
                };
                self.close_reason.get_or_insert(reason);
                let ids: Vec<StreamId> = s.streams.keys().copied().collect();
                s.streams.clear();
                for id in ids {
                    self.events.push_back(Event::Reset { id });
                }
                self.report_closed(reason);
            }
            E::GoAwayReceived { .. } => {
                self.close_reason.get_or_insert(CloseReason::Peer);
            }
            _ => {}
        }
        true
    }

    /// Moves a stream's backlog into the HTTP/2 send buffer; `true` when it is empty.
    pub(super) fn h2_flush_backlog(s: &mut H2State, id: StreamId) -> bool {
        let Some(st) = s.streams.get_mut(&id) else {
            return false;
        };
        if st.backlog.is_empty() && !st.backlog_end {
            return true;
        }
        let end = st.backlog_end;
        match s.conn.send_data(id, &st.backlog, end) {
            Ok(n) => {
                let done = n >= st.backlog.len();
                st.backlog.drain(..n.min(st.backlog.len()));
                if done && end {
                    st.backlog_end = false;
                    st.sent_done = true;
                    if st.recv_ended {
                        s.streams.remove(&id);
                    }
                    return false;
                }
                done
            }
            Err(_) => {
                s.streams.remove(&id);
                false
            }
        }
    }

    pub(super) fn h2_send_response<N, V>(
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
        let Proto::H2(s) = &mut self.proto else {
            return Err(Error::UnknownStream);
        };
        let no_body_status = status == 204 || status == 304 || status < 200;
        let st = s.streams.get_mut(&id).ok_or(Error::UnknownStream)?;
        if st.responded {
            return Err(Error::WrongState);
        }
        let fields = h2_fields(headers);
        let mut hs: Vec<(&[u8], &[u8])> = fields.iter().map(|(n, v)| (&n[..], *v)).collect();
        if let Some(l) = len {
            hs.push((b"content-length", l));
        }
        hs.extend(date_field(&self.date, status, headers));
        let data: &[u8] = match body {
            Body::Full(b) if !st.head_req && !no_body_status => b,
            _ => &[],
        };
        let end = match body {
            Body::Streaming => false,
            _ => data.is_empty(),
        };
        s.conn
            .send_response(id, status, &hs, end)
            .map_err(|e| match e {
                viper_h2::SendError::InvalidHeader | viper_h2::SendError::InvalidStatus => {
                    Error::InvalidHeader
                }
                viper_h2::SendError::ConnectionClosed => Error::Closed,
                _ => Error::UnknownStream,
            })?;
        st.responded = status >= 200;
        if end {
            st.sent_done = true;
            if st.recv_ended {
                s.streams.remove(&id);
            }
        } else if !data.is_empty() {
            st.backlog.extend_from_slice(data);
            st.backlog_end = true;
            Self::h2_flush_backlog(s, id);
        }
        Ok(())
    }

    pub(super) fn h2_send_data(&mut self, id: StreamId, data: &[u8]) -> Result<usize, Error> {
        let Proto::H2(s) = &mut self.proto else {
            return Err(Error::UnknownStream);
        };
        let st = s.streams.get_mut(&id).ok_or(Error::UnknownStream)?;
        if !st.responded || st.sent_done || st.backlog_end {
            return Err(Error::WrongState);
        }
        if st.head_req {
            return Ok(data.len());
        }
        if !st.backlog.is_empty() {
            return Ok(0);
        }
        s.conn.send_data(id, data, false).map_err(|e| match e {
            viper_h2::SendError::ConnectionClosed => Error::Closed,
            _ => Error::UnknownStream,
        })
    }

    pub(super) fn h2_finish<N, V>(&mut self, id: StreamId, trailers: &[(N, V)]) -> Result<(), Error>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let Proto::H2(s) = &mut self.proto else {
            return Err(Error::UnknownStream);
        };
        let st = s.streams.get_mut(&id).ok_or(Error::UnknownStream)?;
        if !st.responded || st.sent_done || st.backlog_end {
            return Err(Error::WrongState);
        }
        if !trailers.is_empty() && st.backlog.is_empty() {
            let fields = h2_fields(trailers);
            let hs: Vec<(&[u8], &[u8])> = fields.iter().map(|(n, v)| (&n[..], *v)).collect();
            s.conn
                .send_trailers(id, &hs)
                .map_err(|_| Error::InvalidHeader)?;
            st.sent_done = true;
            if st.recv_ended {
                s.streams.remove(&id);
            }
            return Ok(());
        }
        st.backlog_end = true;
        Self::h2_flush_backlog(s, id);
        Ok(())
    }

    /// WebSocket bytes (or the end of the stream) arrived on HTTP/2 stream `id`:
    /// through its session, to the application as the same events as over HTTP/1.1.
    fn h2_ws_input(&mut self, id: StreamId, data: &[u8], eof: bool) {
        let Proto::H2(s) = &mut self.proto else {
            return;
        };
        let Some(ws) = s.streams.get_mut(&id).and_then(|st| st.ws.as_deref_mut()) else {
            return;
        };
        let mut used = 0;
        // Bounded: every round consumes input or drains events; a session that
        // does neither is closed, and the rest is dropped.
        loop {
            let rest = data.get(used..).unwrap_or(&[]);
            let n = if rest.is_empty() { 0 } else { ws.receive(rest) };
            used += n;
            if used >= data.len() && eof {
                ws.receive_eof();
            }
            let mut any = false;
            while let Some(ev) = ws.poll_event() {
                any = true;
                if let Some(e) = ws_event(id, ev, &mut self.stats) {
                    self.events.push_back(e);
                }
            }
            if used >= data.len() || (n == 0 && !any) {
                break;
            }
        }
        Self::h2_ws_flush(s, id);
    }

    /// Moves a session's output into its stream's DATA (within the stream's send
    /// buffer); once the session is closed and flushed, ends the stream.
    pub(super) fn h2_ws_flush(s: &mut H2State, id: StreamId) {
        let Some(st) = s.streams.get_mut(&id) else {
            return;
        };
        let Some(ws) = st.ws.as_deref_mut() else {
            return;
        };
        while let Some(b) = ws.poll_transmit() {
            let n = s.conn.send_data(id, b, false).unwrap_or(0);
            if n == 0 {
                return;
            }
            ws.advance_transmit(n);
        }
        if ws.state() == viper_ws::State::Closed && !st.sent_done {
            let _ = s.conn.send_data(id, &[], true);
            st.sent_done = true;
            if st.recv_ended {
                s.streams.remove(&id);
            }
        }
    }

    /// Flushes every WebSocket session carried on the connection's streams.
    pub(super) fn h2_ws_flush_all(s: &mut H2State) {
        if !s.streams.values().any(|st| st.ws.is_some()) {
            return;
        }
        let ids: Vec<StreamId> = s
            .streams
            .iter()
            .filter(|(_, st)| st.ws.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            Self::h2_ws_flush(s, id);
        }
    }

    /// `accept_websocket` for an extended CONNECT stream (RFC 8441): `200` with the
    /// negotiated subprotocol and extension, then the stream carries the session.
    pub(super) fn h2_accept_websocket(
        &mut self,
        id: StreamId,
        protocols: &[&str],
    ) -> Result<(), Error> {
        let cfg = ServerConfig {
            protocols: protocols.iter().map(|p| String::from(*p)).collect(),
            deflate: self.config.ws_deflate,
        };
        let ws_config = self.config.ws;
        let date = self.date;
        let Proto::H2(s) = &mut self.proto else {
            return Err(Error::WrongState);
        };
        let st = s.streams.get_mut(&id).ok_or(Error::UnknownStream)?;
        if st.responded {
            return Err(Error::UnknownStream);
        }
        let offer = st.ws_offer.take().ok_or(Error::WrongState)?;
        let res = handshake::accept_h2(offer.iter().map(|(n, v)| (&n[..], &v[..])), &cfg);
        let (status, fields, accepted) = match res {
            Ok(acc) => (200u16, acc.headers.clone(), Some(acc.negotiated)),
            Err(rej) => (rej.status, rej.headers.clone(), None),
        };
        let lower: Vec<(Vec<u8>, &[u8])> = fields
            .iter()
            .map(|(n, v)| (n.as_bytes().to_ascii_lowercase(), v.as_bytes()))
            .collect();
        let mut hs: Vec<(&[u8], &[u8])> = lower.iter().map(|(n, v)| (&n[..], *v)).collect();
        hs.extend(date_field(&date, status, &fields));
        let end = accepted.is_none();
        s.conn
            .send_response(id, status, &hs, end)
            .map_err(|_| Error::Closed)?;
        st.responded = true;
        match accepted {
            Some(neg) => {
                st.ws = Some(Box::new(WebSocket::server(ws_config, &neg)));
                self.stats.websocket_sessions += 1;
                self.pump();
                Ok(())
            }
            None => {
                st.sent_done = true;
                if st.recv_ended {
                    s.streams.remove(&id);
                }
                self.pump();
                Err(Error::HandshakeRejected(status))
            }
        }
    }
}
