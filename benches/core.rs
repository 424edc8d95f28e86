//! Native throughput of the core's hot paths for 100-byte records in batches of 1000.
//! Run: `cargo bench --bench core`. Prints one JSON line per figure.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use franz::core::log::PartitionLog;
use franz::core::record::{Record, RecordBatch};
use franz::core::topic::TopicConfig;

const RECORDS_PER_BATCH: usize = 1000;
const VALUE_BYTES: usize = 100;
const BATCHES: usize = 2000;

fn records() -> Vec<Record> {
    (0..RECORDS_PER_BATCH).map(|i| Record::new(vec![b'x'; VALUE_BYTES], 1_700_000_000_000 + i as i64)).collect()
}

/// Runs `f` over `BATCHES` batches and reports records per second.
fn measure(name: &str, mut f: impl FnMut(usize)) {
    f(0); // warm up
    let start = Instant::now();
    for i in 0..BATCHES {
        f(i);
    }
    report(name, start.elapsed());
}

fn report(name: &str, elapsed: Duration) {
    let records = (BATCHES * RECORDS_PER_BATCH) as f64;
    println!(
        "{{\"bench\":\"{name}\",\"records\":{records},\"value_bytes\":{VALUE_BYTES},\"batch\":{RECORDS_PER_BATCH},\
         \"seconds\":{:.3},\"records_per_sec\":{:.0},\"mb_per_sec\":{:.1}}}",
        elapsed.as_secs_f64(),
        records / elapsed.as_secs_f64(),
        records * VALUE_BYTES as f64 / elapsed.as_secs_f64() / 1e6
    );
}

fn main() {
    let batch = RecordBatch::from_records(records());
    measure("encode+crc", |_| {
        black_box(batch.encode());
    });

    let bytes: Bytes = batch.encode();
    measure("decode+crc", |_| {
        black_box(RecordBatch::decode(bytes.clone()).unwrap());
    });

    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    measure("log append (validate+assign offsets)", |i| {
        black_box(log.append_as_leader(&bytes, 0, &config, i as i64).unwrap());
    });
    log.set_high_watermark(log.log_end_offset());

    let hw = log.high_watermark();
    let mut offset = log.log_start_offset();
    let start = Instant::now();
    while offset < hw {
        let batches = log.read(offset, 1 << 20, hw).unwrap();
        offset = RecordBatch::decode(batches.last().unwrap().clone()).unwrap().last_offset() + 1;
        black_box(batches);
    }
    // The append loop above ran BATCHES + 1 times (one warm-up), so read covers a little more than BATCHES.
    report("log read (1 MiB fetches)", start.elapsed());
}
