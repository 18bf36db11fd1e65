//! The worker protocol: length-prefixed frames over a pipe.
//!
//! A frame is a little-endian `u32` payload length followed by the payload. The first byte of a
//! payload says what it is. A worker first sends [`HELLO`], then answers each job frame with one
//! result frame, in order, until its stdin closes. Lengths above [`MAX_FRAME`] are refused before
//! anything is allocated, so garbage on the pipe can never make a reader reserve gigabytes.

use std::io::{self, Read, Write};

use crate::workload::cpu::{CpuJob, Kernel};
use crate::workload::io::{DownloadError, Page};

/// The largest payload either side accepts.
pub const MAX_FRAME: u32 = 1 << 20;

/// What a worker says once it is ready for jobs (after its per-process initialisation).
pub const HELLO: &[u8] = b"cb-worker 1";

/// A job sent to a worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireJob {
    /// Run a CPU kernel.
    Cpu(CpuJob),
    /// Download a page with the worker's client and check it. The worker rebuilds the expected
    /// body from (`page`, `body_len`) rather than receiving it.
    Download {
        /// The full URL.
        url: String,
        /// The page (for the expected body).
        page: Page,
        /// `Some(len)`: check the body byte for byte against the embedded server's page of
        /// `len` bytes; `None`: check its length against `Content-Length`.
        body_len: Option<u64>,
    },
    /// Testing only: the worker sends itself this signal while it holds the job (`SIGKILL`:
    /// it dies; `SIGSTOP`: it hangs), so a test's failure lands on a held job whatever the
    /// scheduling. A worker that lives on answers `Failed`.
    SelfSignal(i32),
}

/// A worker's answer to one job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireResult {
    /// The job's value (a CPU result, or the bytes downloaded).
    Value(u128),
    /// The job failed; the worker's message.
    Failed(String),
    /// A download did not count, and why.
    DownloadFailed(DownloadError),
}

const JOB_SUM_OF_SQUARES: u8 = 1;
const JOB_FIB: u8 = 2;
const JOB_DOWNLOAD: u8 = 3;
const JOB_SELF_SIGNAL: u8 = 4;
const RESULT_VALUE: u8 = 1;
const RESULT_FAILED: u8 = 2;
const RESULT_DOWNLOAD_FAILED: u8 = 3;
const NO_BODY_LEN: u64 = u64::MAX;

impl WireJob {
    /// The job's payload.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            WireJob::Cpu(job) => {
                let tag = match job.kernel {
                    Kernel::SumOfSquares => JOB_SUM_OF_SQUARES,
                    Kernel::Fib => JOB_FIB,
                };
                let mut payload = vec![tag];
                payload.extend_from_slice(&job.n.to_le_bytes());
                payload
            }
            WireJob::Download {
                url,
                page,
                body_len,
            } => {
                let mut payload = vec![JOB_DOWNLOAD, page_byte(*page)];
                payload.extend_from_slice(&body_len.unwrap_or(NO_BODY_LEN).to_le_bytes());
                payload.extend_from_slice(url.as_bytes());
                payload
            }
            WireJob::SelfSignal(signal) => {
                let mut payload = vec![JOB_SELF_SIGNAL];
                payload.extend_from_slice(&signal.to_le_bytes());
                payload
            }
        }
    }

    /// Reads a job payload.
    pub fn decode(payload: &[u8]) -> io::Result<WireJob> {
        match payload {
            [tag @ (JOB_SUM_OF_SQUARES | JOB_FIB), rest @ ..] => {
                let kernel = if *tag == JOB_FIB {
                    Kernel::Fib
                } else {
                    Kernel::SumOfSquares
                };
                Ok(WireJob::Cpu(CpuJob {
                    kernel,
                    n: u64::from_le_bytes(exact(rest, "job argument")?),
                }))
            }
            [JOB_DOWNLOAD, page, rest @ ..] if rest.len() >= 8 => {
                let (len, url) = rest.split_at(8);
                let body_len = u64::from_le_bytes(exact(len, "body length")?);
                Ok(WireJob::Download {
                    url: String::from_utf8(url.to_vec())
                        .map_err(|_| invalid("download URL is not UTF-8".into()))?,
                    page: byte_page(*page)?,
                    body_len: (body_len != NO_BODY_LEN).then_some(body_len),
                })
            }
            [JOB_SELF_SIGNAL, rest @ ..] => Ok(WireJob::SelfSignal(i32::from_le_bytes(exact(
                rest,
                "signal number",
            )?))),
            _ => Err(invalid(format!(
                "unknown job payload {:?}",
                preview(payload)
            ))),
        }
    }
}

fn page_byte(page: Page) -> u8 {
    match page {
        Page::Jython => 0,
        Page::Dice => 1,
    }
}

fn byte_page(byte: u8) -> io::Result<Page> {
    match byte {
        0 => Ok(Page::Jython),
        1 => Ok(Page::Dice),
        other => Err(invalid(format!("unknown page {other}"))),
    }
}

impl WireResult {
    /// The result's payload.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            WireResult::Value(value) => {
                let mut payload = vec![RESULT_VALUE];
                payload.extend_from_slice(&value.to_le_bytes());
                payload
            }
            WireResult::Failed(message) => {
                let mut payload = vec![RESULT_FAILED];
                let limit = (MAX_FRAME as usize - 1).min(message.len());
                payload.extend_from_slice(&message.as_bytes()[..limit]);
                payload
            }
            WireResult::DownloadFailed(error) => {
                let mut payload = vec![RESULT_DOWNLOAD_FAILED];
                let json = serde_json::to_vec(error).expect("a DownloadError serializes");
                payload.extend_from_slice(&json);
                payload.truncate(MAX_FRAME as usize);
                payload
            }
        }
    }

    /// Reads a result payload.
    pub fn decode(payload: &[u8]) -> io::Result<WireResult> {
        match payload {
            [RESULT_VALUE, rest @ ..] => Ok(WireResult::Value(u128::from_le_bytes(exact(
                rest,
                "result value",
            )?))),
            [RESULT_FAILED, rest @ ..] => Ok(WireResult::Failed(
                String::from_utf8_lossy(rest).into_owned(),
            )),
            [RESULT_DOWNLOAD_FAILED, rest @ ..] => serde_json::from_slice(rest)
                .map(WireResult::DownloadFailed)
                .map_err(|error| invalid(format!("bad download error: {error}"))),
            _ => Err(invalid(format!(
                "unknown result payload {:?}",
                preview(payload)
            ))),
        }
    }
}

/// Writes one frame and flushes it.
pub fn write_frame(writer: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let length = u32::try_from(payload.len())
        .ok()
        .filter(|&length| length <= MAX_FRAME)
        .ok_or_else(|| invalid(format!("frame of {} bytes is too long", payload.len())))?;
    writer.write_all(&length.to_le_bytes())?;
    writer.write_all(payload)?;
    writer.flush()
}

/// Reads one frame; `Ok(None)` when the pipe closed cleanly between frames.
pub fn read_frame(reader: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    let mut filled = 0;
    while filled < header.len() {
        match reader.read(&mut header[filled..])? {
            0 if filled == 0 => return Ok(None),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            read => filled += read,
        }
    }
    let length = u32::from_le_bytes(header);
    if length > MAX_FRAME {
        return Err(invalid(format!(
            "frame claims {length} bytes, more than the {MAX_FRAME} allowed"
        )));
    }
    let mut payload = vec![0u8; length as usize];
    reader.read_exact(&mut payload)?;
    Ok(Some(payload))
}

fn exact<const N: usize>(bytes: &[u8], what: &str) -> io::Result<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| invalid(format!("{what}: expected {N} bytes, got {}", bytes.len())))
}

fn preview(payload: &[u8]) -> &[u8] {
    &payload[..payload.len().min(16)]
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_and_results_round_trip_through_frames() {
        let job = WireJob::Cpu(CpuJob {
            kernel: Kernel::Fib,
            n: 35,
        });
        let download = WireJob::Download {
            url: "http://127.0.0.1:8080/jython".into(),
            page: Page::Jython,
            body_len: Some(50_000),
        };
        assert_eq!(
            WireJob::decode(&WireJob::SelfSignal(19).encode()).unwrap(),
            WireJob::SelfSignal(19)
        );
        let unchecked = WireJob::Download {
            url: "http://127.0.0.1:8080/dice".into(),
            page: Page::Dice,
            body_len: None,
        };
        let results = [
            WireResult::Value(41_667_129_168_377_502_109),
            WireResult::Failed("boom".into()),
            WireResult::DownloadFailed(DownloadError::Status {
                url: "http://127.0.0.1:8080/dice".into(),
                status: 500,
            }),
        ];
        for wire in [&download, &unchecked] {
            assert_eq!(&WireJob::decode(&wire.encode()).unwrap(), wire);
        }
        let mut pipe = Vec::new();
        write_frame(&mut pipe, &job.encode()).unwrap();
        for result in &results {
            write_frame(&mut pipe, &result.encode()).unwrap();
        }
        let mut reader = pipe.as_slice();
        let frame = read_frame(&mut reader).unwrap().unwrap();
        assert_eq!(WireJob::decode(&frame).unwrap(), job);
        for result in &results {
            let frame = read_frame(&mut reader).unwrap().unwrap();
            assert_eq!(&WireResult::decode(&frame).unwrap(), result);
        }
        assert!(read_frame(&mut reader).unwrap().is_none(), "clean end");
    }

    #[test]
    fn oversized_and_truncated_frames_are_refused() {
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(b"xx");
        let error = read_frame(&mut huge.as_slice()).unwrap_err();
        assert!(error.to_string().contains("more than"), "{error}");

        let mut short = 10u32.to_le_bytes().to_vec();
        short.extend_from_slice(b"abc");
        assert!(read_frame(&mut short.as_slice()).is_err());
        assert!(read_frame(&mut [1u8, 0].as_slice()).is_err());
    }

    #[test]
    fn garbage_payloads_are_errors() {
        assert!(WireJob::decode(&[]).is_err());
        assert!(WireJob::decode(&[9, 1, 2]).is_err());
        assert!(WireJob::decode(&[JOB_FIB, 1, 2]).is_err());
        assert!(WireResult::decode(&[RESULT_VALUE, 1]).is_err());
        assert!(WireJob::decode(&[JOB_DOWNLOAD, 7, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(WireResult::decode(&[RESULT_DOWNLOAD_FAILED, b'{']).is_err());
    }
}
