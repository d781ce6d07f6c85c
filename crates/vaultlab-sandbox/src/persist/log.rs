//! The state log (`<state file>.wal`): records appended in order, each framed with its
//! length, sequence number and a checksum, and synced before anyone is told it is kept.
//!
//! One writer thread does the I/O. Records that arrive while it syncs wait for the next
//! batch, so many requests share one `fdatasync` (group commit) and the cost per record
//! stays low under load. Waiters watch the highest sequence number that is on disk.
//!
//! ```text
//! file:   MAGIC, then records
//! record: payload length (u32 LE) | sequence number (u64 LE) | checksum (8 bytes) | payload
//! ```
//! The checksum is the first 8 bytes of SHA-256 over length, sequence number and payload.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use vaultlab_wire::private_file;

/// The first bytes of every log file.
pub const MAGIC: &[u8] = b"vaultlab sandbox state log 1\n";
const FRAME_HEADER: usize = 4 + 8 + 8;
/// No record comes near this; a length beyond it is damage, not a record.
const MAX_PAYLOAD: usize = 64 << 20;

fn checksum(length: &[u8; 4], seq: &[u8; 8], payload: &[u8]) -> [u8; 8] {
    let mut hasher = Sha256::new();
    hasher.update(length);
    hasher.update(seq);
    hasher.update(payload);
    let digest = hasher.finalize();
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// Appends one framed record to `out`.
pub fn frame(seq: u64, payload: &[u8], out: &mut Vec<u8>) {
    let length = u32::try_from(payload.len())
        .expect("a record fits in 4 GiB")
        .to_le_bytes();
    let seq = seq.to_le_bytes();
    out.extend_from_slice(&length);
    out.extend_from_slice(&seq);
    out.extend_from_slice(&checksum(&length, &seq, payload));
    out.extend_from_slice(payload);
}

/// What a log file holds.
#[derive(Debug, Default)]
pub struct ParsedLog<'a> {
    pub records: Vec<(u64, &'a [u8])>,
    /// A last record cut short by a crash (its bytes), dropped: it was never synced, so
    /// no one was told it was kept.
    pub torn_tail: Option<usize>,
}

/// Reads a log file's records. Damage anywhere but in the last record is an error (its
/// reason): a record in the middle cannot have been cut short by a crash.
pub fn parse(bytes: &[u8]) -> Result<ParsedLog<'_>, String> {
    let Some(mut rest) = bytes.strip_prefix(MAGIC) else {
        if MAGIC.starts_with(bytes) {
            // Created, then the process died before its first bytes were synced.
            return Ok(ParsedLog {
                records: Vec::new(),
                torn_tail: (!bytes.is_empty()).then_some(bytes.len()),
            });
        }
        return Err("it does not start as a vaultlab state log".to_owned());
    };
    let mut parsed = ParsedLog::default();
    let mut offset = MAGIC.len();
    let mut previous = 0u64;
    while !rest.is_empty() {
        let torn = |parsed: &mut ParsedLog<'_>, rest: &[u8]| parsed.torn_tail = Some(rest.len());
        if rest.len() < FRAME_HEADER {
            torn(&mut parsed, rest);
            break;
        }
        let length: [u8; 4] = rest[..4].try_into().expect("4 bytes");
        let seq_bytes: [u8; 8] = rest[4..12].try_into().expect("8 bytes");
        let stored: [u8; 8] = rest[12..20].try_into().expect("8 bytes");
        let len = u32::from_le_bytes(length) as usize;
        if len > MAX_PAYLOAD {
            return Err(format!(
                "the record at byte {offset} claims {len} bytes, more than any record"
            ));
        }
        let end = FRAME_HEADER + len;
        if rest.len() < end {
            torn(&mut parsed, rest);
            break;
        }
        let payload = &rest[FRAME_HEADER..end];
        if checksum(&length, &seq_bytes, payload) != stored {
            if rest.len() == end {
                // The last record, garbled: a write the crash interrupted.
                torn(&mut parsed, rest);
                break;
            }
            return Err(format!(
                "the record at byte {offset} is damaged (its checksum does not match)"
            ));
        }
        let seq = u64::from_le_bytes(seq_bytes);
        if seq <= previous {
            return Err(format!(
                "the record at byte {offset} is out of order ({seq} after {previous})"
            ));
        }
        previous = seq;
        parsed.records.push((seq, payload));
        rest = &rest[end..];
        offset += end;
    }
    Ok(parsed)
}

/// Creates an empty log at `path` (replacing any), durably, and returns it for appending.
/// Created exclusively under a random name with mode 0600, then renamed into place.
pub fn create(path: &Path, records: &[(u64, Vec<u8>)]) -> io::Result<File> {
    let dir = private_file::parent_dir(path);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    let mut bytes = MAGIC.to_vec();
    for (seq, payload) in records {
        frame(*seq, payload, &mut bytes);
    }
    temp.write_all(&bytes)?;
    temp.as_file().sync_all()?;
    let file = temp.persist(path).map_err(|e| e.error)?;
    private_file::sync_dir(&dir)?;
    Ok(file)
}

/// How far the log is on disk.
#[derive(Debug, Clone, Default)]
pub struct Durable {
    /// Every record up to this sequence number is synced.
    pub seq: u64,
    /// Set once a write failed: nothing more will be synced.
    pub failure: Option<Arc<str>>,
}

struct Queue {
    last_seq: u64,
    pending: Vec<(u64, Vec<u8>)>,
    /// While a compaction runs: the records written since it began, for the new log.
    retained: Option<Vec<(u64, Vec<u8>)>>,
    /// A compaction's request to start a new log holding only records after this number.
    swap: Option<(u64, std::sync::mpsc::Sender<io::Result<()>>)>,
    closing: bool,
    closed: bool,
    failure: Option<Arc<str>>,
    /// Bytes in the current log file.
    log_bytes: u64,
}

struct Shared {
    path: PathBuf,
    queue: Mutex<Queue>,
    wake: Condvar,
    durable: watch::Sender<Durable>,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The log's writer: appends from any thread, one thread doing the I/O.
pub struct LogWriter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl LogWriter {
    /// Starts writing to `file` (the log at `path`, `bytes` long), numbering records after
    /// `last_seq`.
    pub fn start(path: PathBuf, file: File, bytes: u64, last_seq: u64) -> Self {
        let (durable, _) = watch::channel(Durable {
            seq: last_seq,
            failure: None,
        });
        let shared = Arc::new(Shared {
            path,
            queue: Mutex::new(Queue {
                last_seq,
                pending: Vec::new(),
                retained: None,
                swap: None,
                closing: false,
                closed: false,
                failure: None,
                log_bytes: bytes,
            }),
            wake: Condvar::new(),
            durable,
        });
        let thread = std::thread::Builder::new()
            .name("state-log".into())
            .spawn({
                let shared = shared.clone();
                move || write_loop(&shared, file)
            })
            .expect("spawn the state log writer");
        Self {
            shared,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Queues a record; its sequence number, or why nothing can be kept any more.
    pub fn append(&self, payload: Vec<u8>) -> Result<u64, Arc<str>> {
        let mut queue = self.shared.queue();
        if let Some(failure) = &queue.failure {
            return Err(failure.clone());
        }
        if queue.closing {
            return Err("the sandbox is stopping".into());
        }
        queue.last_seq += 1;
        let seq = queue.last_seq;
        queue.pending.push((seq, payload));
        drop(queue);
        self.shared.wake.notify_one();
        Ok(seq)
    }

    pub fn last_seq(&self) -> u64 {
        self.shared.queue().last_seq
    }

    pub fn log_bytes(&self) -> u64 {
        self.shared.queue().log_bytes
    }

    pub fn durable(&self) -> watch::Receiver<Durable> {
        self.shared.durable.subscribe()
    }

    /// From now on, records written are also kept in memory for the log that will replace
    /// this one (see [`LogWriter::swap_after`]).
    pub fn begin_retaining(&self) {
        self.shared.queue().retained = Some(Vec::new());
    }

    pub fn stop_retaining(&self) {
        self.shared.queue().retained = None;
    }

    /// Once every record up to `seq` is in a snapshot: replaces the log with one holding
    /// only the records after `seq`. Blocks until done.
    pub fn swap_after(&self, seq: u64) -> io::Result<()> {
        let (reply, done) = std::sync::mpsc::channel();
        {
            let mut queue = self.shared.queue();
            if queue.closed {
                return Err(io::Error::other("the state log is closed"));
            }
            queue.swap = Some((seq, reply));
        }
        self.shared.wake.notify_one();
        done.recv()
            .unwrap_or_else(|_| Err(io::Error::other("the state log writer stopped")))
    }

    /// Writes what is queued, then stops. The failure that stopped writing, if any.
    pub fn close(&self) -> Option<Arc<str>> {
        self.shared.queue().closing = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = thread.join();
        }
        let failure = self.shared.queue().failure.clone();
        // Whoever still waits for a record appended too late is told, not left waiting.
        self.shared.durable.send_modify(|d| {
            d.failure
                .get_or_insert_with(|| "the sandbox stopped before it was kept".into());
        });
        failure
    }
}

fn write_loop(shared: &Shared, mut file: File) {
    let mut buffer = Vec::new();
    loop {
        let (batch, swap, closing) = {
            let mut queue = shared.queue();
            while queue.pending.is_empty() && queue.swap.is_none() && !queue.closing {
                queue = shared
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            (
                std::mem::take(&mut queue.pending),
                queue.swap.take(),
                queue.closing,
            )
        };
        if let Some(&(last, _)) = batch.last() {
            write_batch(shared, &mut file, &mut buffer, batch, last);
        }
        if let Some((after, reply)) = swap {
            let _ = reply.send(swap_log(shared, &mut file, after));
        }
        if closing {
            let mut queue = shared.queue();
            if queue.pending.is_empty() {
                queue.closed = true;
                // A compaction that asked meanwhile is told, not left waiting.
                if let Some((_, reply)) = queue.swap.take() {
                    let _ = reply.send(Err(io::Error::other("the state log is closed")));
                }
                return;
            }
        }
    }
}

fn write_batch(
    shared: &Shared,
    file: &mut File,
    buffer: &mut Vec<u8>,
    batch: Vec<(u64, Vec<u8>)>,
    last: u64,
) {
    if shared.queue().failure.is_some() {
        return;
    }
    buffer.clear();
    for (seq, payload) in &batch {
        frame(*seq, payload, buffer);
    }
    match file.write_all(buffer).and_then(|()| file.sync_data()) {
        Ok(()) => {
            let mut queue = shared.queue();
            queue.log_bytes += buffer.len() as u64;
            if let Some(retained) = &mut queue.retained {
                retained.extend(batch);
            }
            drop(queue);
            shared.durable.send_modify(|d| d.seq = d.seq.max(last));
        }
        Err(e) => {
            // After a failed write or sync the file's contents are unknown (the kernel
            // may have dropped the pages): nothing more is written to it. What is in
            // memory stays served, and the final save at shutdown writes it all.
            let failure: Arc<str> =
                format!("cannot write the state log {}: {e}", shared.path.display()).into();
            tracing::error!("{failure}; changes are no longer kept on disk until a restart");
            shared.queue().failure = Some(failure.clone());
            shared
                .durable
                .send_modify(|d| d.failure = Some(failure.clone()));
        }
    }
}

fn swap_log(shared: &Shared, file: &mut File, after: u64) -> io::Result<()> {
    let retained = {
        let mut queue = shared.queue();
        if let Some(failure) = &queue.failure {
            return Err(io::Error::other(failure.to_string()));
        }
        queue.retained.take().unwrap_or_default()
    };
    let kept: Vec<(u64, Vec<u8>)> = retained.into_iter().filter(|(s, _)| *s > after).collect();
    let new = create(&shared.path, &kept)?;
    let bytes = new.metadata()?.len();
    *file = new;
    shared.queue().log_bytes = bytes;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(records: &[(u64, &[u8])]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        for (seq, payload) in records {
            frame(*seq, payload, &mut bytes);
        }
        bytes
    }

    #[test]
    fn records_read_back_in_order() {
        let bytes = log_of(&[(1, b"one"), (2, b""), (7, b"seven")]);
        let parsed = parse(&bytes).unwrap();
        assert_eq!(
            parsed.records,
            [(1, &b"one"[..]), (2, &b""[..]), (7, &b"seven"[..])]
        );
        assert_eq!(parsed.torn_tail, None);
    }

    #[test]
    fn a_last_record_cut_short_or_garbled_is_a_torn_tail() {
        let whole = log_of(&[(1, b"one"), (2, b"two")]);
        for cut in [1, 5, FRAME_HEADER + 1] {
            let parsed = parse(&whole[..whole.len() - cut]).unwrap();
            assert_eq!(parsed.records, [(1, &b"one"[..])], "cut {cut}");
            assert!(parsed.torn_tail.is_some());
        }
        let mut garbled = whole.clone();
        *garbled.last_mut().unwrap() ^= 0xff;
        let parsed = parse(&garbled).unwrap();
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.torn_tail, Some(FRAME_HEADER + 3));
        // A file created but never written.
        assert!(parse(&MAGIC[..4]).unwrap().torn_tail.is_some());
    }

    #[test]
    fn damage_before_the_last_record_is_refused() {
        let mut bytes = log_of(&[(1, b"one"), (2, b"two")]);
        bytes[MAGIC.len() + FRAME_HEADER] ^= 0xff;
        let err = parse(&bytes).unwrap_err();
        assert!(err.contains("damaged"), "{err}");
        assert!(parse(b"{\"format\":1}").is_err());
        let out_of_order = log_of(&[(2, b"a"), (2, b"b")]);
        assert!(parse(&out_of_order).unwrap_err().contains("out of order"));
    }

    #[tokio::test]
    async fn appended_records_become_durable_in_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json.wal");
        let file = create(&path, &[]).unwrap();
        let writer = LogWriter::start(path.clone(), file, MAGIC.len() as u64, 10);
        let mut durable = writer.durable();
        let seqs: Vec<u64> = (0..50)
            .map(|i| writer.append(format!("r{i}").into_bytes()).unwrap())
            .collect();
        assert_eq!(seqs.first(), Some(&11));
        durable.wait_for(|d| d.seq >= 60).await.unwrap();
        assert_eq!(writer.close(), None);
        let bytes = std::fs::read(&path).unwrap();
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.records.len(), 50);
        assert_eq!(parsed.records[49], (60, &b"r49"[..]));
        assert!(writer.append(b"late".to_vec()).is_err());
    }

    #[tokio::test]
    async fn a_swap_keeps_only_the_records_after_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json.wal");
        let file = create(&path, &[]).unwrap();
        let writer = LogWriter::start(path.clone(), file, MAGIC.len() as u64, 0);
        let mut durable = writer.durable();
        writer.append(b"before".to_vec()).unwrap();
        writer.begin_retaining();
        writer.append(b"in snapshot".to_vec()).unwrap();
        writer.append(b"after".to_vec()).unwrap();
        durable.wait_for(|d| d.seq >= 3).await.unwrap();
        tokio::task::spawn_blocking({
            let writer = std::sync::Arc::new(writer);
            move || {
                writer.swap_after(2).unwrap();
                writer.append(b"later".to_vec()).unwrap();
                writer.close();
            }
        })
        .await
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let seqs: Vec<u64> = parse(&bytes).unwrap().records.iter().map(|r| r.0).collect();
        assert_eq!(seqs, [3, 4]);
    }
}
