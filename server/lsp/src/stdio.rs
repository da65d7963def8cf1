//! The stdin side of the transport, framed by us before tower-lsp-server sees it.
//!
//! tower-lsp-server ends its input stream on the first frame it cannot decode
//! (bad JSON, no Content-Length, invalid UTF-8), which would end the server. Here
//! every frame is checked first: a good one is passed on unchanged; a bad one is
//! answered here, as JSON-RPC asks (-32700 parse error or -32600 invalid request,
//! id null), between the server's own output frames, and the server lives on. We
//! also see `exit` go by, so the process ends promptly even when a handler still
//! awaits the client.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Largest message body accepted (a bigger one is skipped and reported).
const MAX_BODY: usize = 128 * 1024 * 1024;
/// Longest header line accepted.
const MAX_HEADER_LINE: u64 = 8 * 1024;

/// Wires the server between `input` and `output`: returns the ends that
/// tower-lsp-server reads from and writes to.
/// Frames written straight to the output, beside the server's own (publishes,
/// serialized once from their typed form rather than through `serde_json::Value`).
pub type Frames = tokio::sync::mpsc::UnboundedSender<Vec<u8>>;

pub fn transport(
    input: impl AsyncRead + Unpin + Send + 'static,
    output: impl std::io::Write + Send + 'static,
    shutdown: Arc<AtomicBool>,
) -> (DuplexStream, DuplexStream, Frames) {
    let (mut to_server, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, from_server) = tokio::io::duplex(1 << 16);
    let (errors_tx, errors_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let frames = errors_tx.clone();
    forward_output(from_server, errors_tx.clone(), errors_rx, output);
    tokio::spawn(async move {
        let mut reader = BufReader::new(input);
        loop {
            match next_frame(&mut reader).await {
                Frame::Eof => break,
                Frame::Good { body, exit } => {
                    if write_frame(&mut to_server, &body).await.is_err() {
                        break;
                    }
                    if exit {
                        end_soon(shutdown.clone(), Duration::from_millis(300));
                    }
                }
                Frame::Bad(code, error) => {
                    tracing::error!("malformed message from the client: {error}");
                    let reply = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": error}});
                    let _ = errors_tx.send(reply.to_string().into_bytes());
                }
            }
        }
        // The client closed its side: end, even if a handler still awaits it.
        drop(to_server);
        end_soon(shutdown, Duration::from_secs(1));
    });
    (server_in, server_out, frames)
}

/// One frame of the server's own output: trusted, so not parsed again (a
/// 5,000-stage pipeline's diagnostics are megabytes on every keystroke).
async fn own_frame<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Vec<u8>> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            if length.is_some() {
                break;
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).await.ok()?;
    Some(body)
}

/// Copies the server's frames to `output`, with our own frames (error replies,
/// publishes) between them. A reader task feeds the server's frames into the same
/// queue: reading a frame is not cancellation-safe, so it must never race in a
/// `select!` (a lost half-frame would corrupt the stream). A thread of its own
/// writes them, straight from each frame's buffer: an async stdout would copy a
/// megabytes-long publish into its own buffer and hand it to a blocking thread
/// in 2 MB pieces.
fn forward_output(
    from_server: DuplexStream,
    queue: tokio::sync::mpsc::UnboundedSender<Vec<u8>>,
    mut frames: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
    mut output: impl std::io::Write + Send + 'static,
) {
    tokio::spawn(async move {
        let mut reader = BufReader::new(from_server);
        while let Some(body) = own_frame(&mut reader).await {
            if queue.send(body).is_err() {
                break;
            }
        }
    });
    let writer = std::thread::Builder::new().name("tollgate-stdout".into()).spawn(move || {
        while let Some(body) = frames.blocking_recv() {
            let head = format!("Content-Length: {}\r\n\r\n", body.len());
            if output
                .write_all(head.as_bytes())
                .and_then(|_| output.write_all(&body))
                .and_then(|_| output.flush())
                .is_err()
            {
                break;
            }
        }
    });
    if let Err(e) = writer {
        tracing::error!("cannot start the output thread: {e}");
    }
}

enum Frame {
    Good {
        body: Vec<u8>,
        exit: bool,
    },
    /// A JSON-RPC error code and what was wrong.
    Bad(i64, String),
    Eof,
}

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

async fn next_frame<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Frame {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        match (&mut *reader).take(MAX_HEADER_LINE).read_until(b'\n', &mut line).await {
            Ok(0) => return Frame::Eof,
            Ok(_) => {}
            Err(e) => return Frame::Bad(PARSE_ERROR, format!("cannot read the input: {e}")),
        }
        if !line.ends_with(b"\n") && line.len() as u64 >= MAX_HEADER_LINE {
            return Frame::Bad(PARSE_ERROR, format!("a header line longer than {MAX_HEADER_LINE} bytes"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue; // stray blank lines between frames
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length =
                    Some(value.trim().parse::<usize>().map_err(|_| format!("bad Content-Length `{}`", value.trim())));
            }
        }
    }
    let length = match length {
        None => return Frame::Bad(PARSE_ERROR, "a message without a Content-Length header".into()),
        Some(Err(e)) => return Frame::Bad(PARSE_ERROR, e),
        Some(Ok(n)) => n,
    };
    if length > MAX_BODY {
        let skipped = tokio::io::copy(&mut (&mut *reader).take(length as u64), &mut tokio::io::sink()).await;
        return match skipped {
            Ok(_) => Frame::Bad(INVALID_REQUEST, format!("a message of {length} bytes, over the limit of {MAX_BODY}")),
            Err(_) => Frame::Eof,
        };
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return Frame::Eof;
    }
    if std::str::from_utf8(&body).is_err() {
        return Frame::Bad(PARSE_ERROR, "Parse error: a message body that is not valid UTF-8".into());
    }
    let shape: Shape = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) if e.is_data() => {
            return Frame::Bad(INVALID_REQUEST, format!("Invalid request: not a JSON-RPC message: {e}"))
        }
        Err(e) => return Frame::Bad(PARSE_ERROR, format!("Parse error: a message body that is not JSON: {e}")),
    };
    let is_message = shape.jsonrpc == "2.0" && (shape.method.is_some() || shape.result.0 || shape.error.0);
    if !is_message {
        return Frame::Bad(INVALID_REQUEST, "Invalid request: neither a JSON-RPC request nor a response".into());
    }
    Frame::Good { exit: shape.method.as_deref() == Some("exit"), body }
}

/// What a frame must look like; checked without building the JSON value, since
/// a body may be megabytes of document text.
#[derive(Deserialize)]
struct Shape {
    jsonrpc: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    result: Seen,
    #[serde(default)]
    error: Seen,
}

/// Whether a field is present at all (`"result": null` is a valid response).
#[derive(Default)]
struct Seen(bool);

impl<'de> Deserialize<'de> for Seen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Seen(true))
    }
}

async fn write_frame(tx: &mut DuplexStream, body: &[u8]) -> std::io::Result<()> {
    tx.write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes()).await?;
    tx.write_all(body).await
}

/// LSP: after `exit` the process ends, with 0 when `shutdown` came first, else 1.
fn end_soon(shutdown: Arc<AtomicBool>, after: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        std::process::exit(if shutdown.load(Ordering::SeqCst) { 0 } else { 1 });
    });
}
