//! Server-Sent Events at the server: a streaming response (HTTP/1.1 chunked or an
//! HTTP/2 stream) carrying `text/event-stream`, with heartbeats.

use super::*;

pub(super) fn sse_due(next: Option<Instant>, now: Instant) -> bool {
    next.is_some_and(|t| t <= now)
}

impl Connection {
    /// Starts a Server-Sent Events response on request `id`: `200`,
    /// `content-type: text/event-stream`, `cache-control: no-cache`, plus `headers`.
    /// Heartbeats are sent by the timer (`Config::sse_heartbeat`); the stream is
    /// never purged as idle. Events follow with [`send_sse`](Self::send_sse); end it
    /// with [`finish`](Self::finish).
    pub fn start_sse<N, V>(&mut self, id: StreamId, headers: &[(N, V)]) -> Result<(), Error>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let mut hs: Vec<(&[u8], &[u8])> = Vec::with_capacity(headers.len() + 3);
        hs.extend(
            viper_sse::RESPONSE_HEADERS
                .iter()
                .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
        );
        hs.extend(headers.iter().map(|(n, v)| (n.as_ref(), v.as_ref())));
        self.send_response(id, 200, &hs, Body::Streaming)?;
        let next = self.config.sse_heartbeat.map(|d| self.now + d);
        match &mut self.proto {
            Proto::H1(s) => {
                if let Some(c) = s.cur.as_mut() {
                    c.sse_next = next;
                }
            }
            Proto::H2(s) => {
                if let Some(st) = s.streams.get_mut(&id) {
                    st.sse_next = next;
                }
            }
            _ => {}
        }
        self.stats.sse_streams += 1;
        Ok(())
    }

    /// Sends one SSE event on a stream started with [`start_sse`](Self::start_sse).
    /// The event (encoded by viper-sse) is taken whole or not at all
    /// ([`Error::WouldBlock`] when the output buffer is full: the client reads too
    /// slowly; [`Error::InvalidHeader`] when its `id` or type holds a line break).
    pub fn send_sse(&mut self, id: StreamId, event: &SseEvent<'_>) -> Result<(), Error> {
        let mut buf = Vec::new();
        event
            .encode_into(&mut buf)
            .map_err(|_| Error::InvalidHeader)?;
        self.send_sse_raw(id, &buf, true)?;
        self.stats.sse_events += 1;
        Ok(())
    }

    pub(super) fn send_sse_raw(
        &mut self,
        id: StreamId,
        bytes: &[u8],
        reset_timer: bool,
    ) -> Result<(), Error> {
        if self.room() == 0 {
            return Err(Error::WouldBlock);
        }
        let next = self.config.sse_heartbeat.map(|d| self.now + d);
        match &mut self.proto {
            Proto::H1(s) => {
                let c = s
                    .cur
                    .as_mut()
                    .filter(|c| c.id == id)
                    .ok_or(Error::UnknownStream)?;
                if !c.streaming || c.finished {
                    return Err(Error::WrongState);
                }
                if reset_timer && c.sse_next.is_some() {
                    c.sse_next = next;
                }
                if !c.head_req {
                    s.conn
                        .send_data(Bytes::copy_from_slice(bytes))
                        .map_err(|_| Error::WrongState)?;
                }
                self.pump();
                Ok(())
            }
            Proto::H2(s) => {
                let st = s.streams.get_mut(&id).ok_or(Error::UnknownStream)?;
                if !st.responded || st.sent_done || st.backlog_end {
                    return Err(Error::WrongState);
                }
                if st.backlog.len() > self.config.max_output_buffer {
                    return Err(Error::WouldBlock);
                }
                if reset_timer && st.sse_next.is_some() {
                    st.sse_next = next;
                }
                if st.head_req {
                    return Ok(());
                }
                if st.backlog.is_empty() {
                    let n = s
                        .conn
                        .send_data(id, bytes, false)
                        .map_err(|_| Error::UnknownStream)?;
                    st.backlog.extend_from_slice(bytes.get(n..).unwrap_or(&[]));
                } else {
                    st.backlog.extend_from_slice(bytes);
                }
                Ok(())
            }
            Proto::Finished => Err(Error::Closed),
            _ => Err(Error::UnknownStream),
        }
    }
}
