//! `cb-worker`: one process of the suite's process pool.
//!
//! Started by `ProcessPool` with pipes on stdin and stdout: it says hello, then answers each job
//! frame with one result frame until stdin closes. It is not meant to be run by hand.

use std::io::{self, BufReader, BufWriter};

use concurrency_bench::process::protocol::{read_frame, write_frame, WireJob, WireResult, HELLO};

fn main() {
    if let Err(error) = serve() {
        eprintln!("cb-worker: {error}");
        std::process::exit(1);
    }
}

fn serve() -> io::Result<()> {
    let mut from_pool = BufReader::new(io::stdin().lock());
    let mut to_pool = BufWriter::new(io::stdout().lock());
    write_frame(&mut to_pool, HELLO)?;
    while let Some(payload) = read_frame(&mut from_pool)? {
        let result = match WireJob::decode(&payload)? {
            WireJob::Cpu(job) => WireResult::Value(job.run()),
        };
        write_frame(&mut to_pool, &result.encode())?;
    }
    Ok(())
}
