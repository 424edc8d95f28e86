//! Native throughput of the core's hot paths for 100-byte records in batches of 1000, next to two raw limits
//! measured in the same run on the same bytes: a plain copy, and a bare CRC32C.
//! Run: `cargo bench --bench core`. Prints one JSON line per figure. The same benchmark runs in Chromium's V8, the
//! engine franz runs in: `cargo bench --bench core --no-run --target wasm32-wasip1`, then
//! `node benches/browser/run.mjs 500 1000000 1000000 core` (`benches/browser/core.html`).

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use franz::core::client::{encode_packed, pack_messages, CrcCheck, PackedMessage, PackedRecords};
use franz::core::log::{validate_produce, PartitionLog};
use franz::core::partitioner::{NullKeyStrategy, Partitioner};
use franz::core::record::{recompressed, BatchHeader, Compression, Record, RecordBatch};
use franz::core::replication::{LocalCluster, PartitionId, ProduceOutcome, Timing};
use franz::core::topic::TopicConfig;

const RECORDS_PER_BATCH: usize = 1000;
const VALUE_BYTES: usize = 100;
const BATCHES: usize = 2000;

/// Runs `f` once to warm up, then `BATCHES` times, and prints records per second.
fn measure(name: &str, mut f: impl FnMut(usize)) {
    f(0);
    let start = Instant::now();
    for i in 0..BATCHES {
        f(i);
    }
    report(name, BATCHES * RECORDS_PER_BATCH, start.elapsed().as_secs_f64());
}

fn report(name: &str, records: usize, seconds: f64) {
    println!(
        "{{\"bench\":\"{name}\",\"records\":{records},\"value_bytes\":{VALUE_BYTES},\"batch\":{RECORDS_PER_BATCH},\
         \"seconds\":{seconds:.4},\"records_per_sec\":{:.0},\"value_mb_per_sec\":{:.1}}}",
        records as f64 / seconds,
        (records * VALUE_BYTES) as f64 / seconds / 1e6
    );
}

fn main() {
    let records: Vec<Record> =
        (0..RECORDS_PER_BATCH).map(|i| Record::new(vec![b'x'; VALUE_BYTES], 1_700_000_000_000 + i as i64)).collect();
    let batch = RecordBatch::from_records(records);
    let bytes: Bytes = batch.encode();

    measure("raw limit: memcpy of the batch bytes", |_| {
        black_box(bytes.to_vec());
    });
    measure("raw limit: crc32c of the batch bytes", |_| {
        black_box(crc32c::crc32c(&bytes));
    });
    measure("raw limit: crc32c by Chorba's method (wasm's checksum)", |_| {
        black_box(franz::core::record::crc::chorba_append(0, &bytes));
    });
    measure("encode+crc", |_| {
        black_box(batch.encode());
    });
    measure("decode+crc", |_| {
        black_box(RecordBatch::decode(bytes.clone()).unwrap());
    });

    let config = TopicConfig::default();
    measure("leader checks of a produced batch (CRC and every record)", |_| {
        black_box(validate_produce(&bytes, &config, 0).unwrap());
    });
    let mut log = PartitionLog::new();
    measure("log append (validate+assign offsets)", |i| {
        black_box(log.append_as_leader(bytes.clone(), 0, &config, i as i64).unwrap());
    });
    log.set_high_watermark(log.log_end_offset());

    let hw = log.high_watermark();
    let mut offset = log.log_start_offset();
    let start = Instant::now();
    while offset < hw {
        let batches = log.read(offset, 1 << 20, hw).unwrap();
        offset = BatchHeader::parse(batches.last().unwrap()).unwrap().last_offset() + 1;
        black_box(batches);
    }
    report("log read (1 MiB fetches, whole batches)", hw as usize, start.elapsed().as_secs_f64());

    client_paths(&bytes);
    codecs();
    replication(batch.records.iter().map(|r| r.record.clone()).collect());
}

/// A producer's and a consumer's share: encoding a send as `pack.js` packs it (1000 keyless messages, no
/// headers) and sealing its batch, and reading a 1 MiB fetch's records for JavaScript, trusting the host's CRCs.
fn client_paths(batch: &Bytes) {
    // No key, partition, timestamp or headers: the value alone.
    let message: PackedMessage = (None, Some(vec![b'v'; VALUE_BYTES]), None, None, vec![]);
    let packed = pack_messages(&vec![message; RECORDS_PER_BATCH]);
    // As a producer places them: KafkaJS's round-robin for keyless records, here on a topic of one partition.
    let mut partitioner = Partitioner::new(NullKeyStrategy::RoundRobin, 0);
    measure("client: encode a packed send and seal its batch", |_| {
        let place = |key: Option<&[u8]>, explicit| partitioner.partition("bench", key, explicit, 1, &[0]);
        let parts = encode_packed(&packed, 1_700_000_000_000, place).unwrap();
        let records = &parts[&0];
        black_box(records.sealed_header(|_| {}));
    });

    let fetch = Bytes::from(batch.repeat((1 << 20) / batch.len()));
    let fetches = BATCHES * batch.len() / fetch.len();
    let start = Instant::now();
    for _ in 0..fetches {
        black_box(PackedRecords::fetched(std::slice::from_ref(&fetch), 0, CrcCheck::Trust, &[]).unwrap());
    }
    let records = fetches * fetch.len() / batch.len() * RECORDS_PER_BATCH;
    report("client: records of 1 MiB fetches for JavaScript (CRCs trusted)", records, start.elapsed().as_secs_f64());
}

/// Each codec compressing a batch's records and reading them back (as a producer and a consumer do), on
/// JSON-like 100-byte values that differ from record to record, with the compressed size: a tenth of the batches
/// of the other figures, as GZIP is slow.
fn codecs() {
    let records: Vec<Record> = (0..RECORDS_PER_BATCH)
        .map(|i| {
            let value = format!(
                r#"{{"user":"user-{}","action":"click","page":"/items/{}","at":{}}}"#,
                i % 97,
                i * 7919 % 10007,
                1_700_000_000_000u64 + i as u64 * 13
            );
            Record::keyed(format!("user-{}", i % 97), format!("{value:<100}"), 1_700_000_000_000 + i as i64)
        })
        .collect();
    let plain = RecordBatch::from_records(records).encode();
    let header = BatchHeader::parse(&plain).unwrap();
    let rounds = BATCHES / 10;
    for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
        let packed = recompressed(&plain, &header, codec, None).unwrap();
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(recompressed(&plain, &header, codec, None).unwrap());
        }
        report(&format!("{codec:?}: compress a batch"), rounds * RECORDS_PER_BATCH, start.elapsed().as_secs_f64());
        let packed_header = BatchHeader::parse(&packed).unwrap();
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(recompressed(&packed, &packed_header, Compression::None, None).unwrap());
        }
        report(&format!("{codec:?}: decompress a batch"), rounds * RECORDS_PER_BATCH, start.elapsed().as_secs_f64());
        println!(
            "{{\"bench\":\"{codec:?}: batch size\",\"plain_bytes\":{},\"compressed_bytes\":{},\"ratio\":{:.2}}}",
            plain.len(),
            packed.len(),
            plain.len() as f64 / packed.len() as f64
        );
    }
}

/// The cost of replication: three brokers in one process (as in a tab), produce to a partition at its leader
/// with RF=1, with RF=3 and acks=1 (followers fetch after every 10 writes), and with RF=3 and acks=all (each
/// write waits for the ISR). Fewer batches than above: every replica keeps its copy in memory.
fn replication(records: Vec<Record>) {
    const TIMING: Timing =
        Timing { heartbeat_ms: 1000, replica_lag_max_ms: 30_000, fetch_timeout_ms: 500, request_timeout_ms: 30_000 };
    const WRITES: usize = 300;
    let partition: PartitionId = ("bench".into(), 0);
    let mut rf1 = 0.0;
    for (name, rf, acks, settle_every) in
        [("RF=1, acks=1", 1, 1, 1), ("RF=3, acks=1", 3, 1, 10), ("RF=3, acks=all", 3, -1, 1)]
    {
        let mut cluster = LocalCluster::new(3, TIMING, 60_000, 0);
        cluster.create_partition(partition.clone(), (1..=rf).collect(), 2.min(rf as usize), 0);
        let start = Instant::now();
        for i in 0..WRITES {
            let outcome = cluster.produce(1, &partition, records.clone(), None, acks, i as i64);
            if (i + 1) % settle_every == 0 {
                cluster.settle(i as i64);
            }
            if let ProduceOutcome::Pending(id) = outcome {
                let done = cluster.take_completed();
                assert!(done.iter().any(|(_, c)| c.id == id && c.result.is_ok()), "acks=all completes in the settle");
            }
        }
        cluster.settle(WRITES as i64);
        let seconds = start.elapsed().as_secs_f64();
        report(&format!("replication: {name}"), WRITES * RECORDS_PER_BATCH, seconds);
        if rf == 1 {
            rf1 = seconds;
        } else {
            println!("{{\"bench\":\"replication cost: {name} vs RF=1\",\"slowdown\":{:.2}}}", seconds / rf1);
        }
    }
}
