//! Records and Kafka's RecordBatch v2 codec.

mod batch;
mod compression;
mod control;
pub mod crc;
mod encoded;
mod single;
mod wire;

pub use batch::{
    attributes_of, decode_batches, partition_leader_epoch, producer_fields, recompressed, records_section,
    set_base_offset, set_max_timestamp, set_partition_leader_epoch, split_batches, Attributes, BatchHeader,
    BatchRecord, Compression, RecordBatch, RecordCursor, TimestampType, HEADER_LEN, LOG_OVERHEAD, MAGIC,
};
pub use compression::MAX_DECOMPRESSED_BYTES;
pub use control::{marker_batch, marker_of, Marker};
pub use encoded::EncodedRecords;
pub use single::{Header, Record, RecordFields};
pub use wire::{get_string, put_string, Reader};
