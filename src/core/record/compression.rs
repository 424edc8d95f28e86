//! Compressed batches (Kafka's `compression.type`): everything after a batch's 61-byte header, its records,
//! may be compressed as one block, the codec named by attribute bits 0-2. franz reads and writes GZIP, the one
//! codec KafkaJS has built in; Snappy, LZ4 and ZSTD get UNSUPPORTED_COMPRESSION_TYPE.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::batch::Compression;
use crate::core::error::{Error, Result};

/// The most bytes a batch's records may take once decompressed. A batch is at most `max.message.bytes` (1 MB
/// by default) compressed, and text compresses perhaps tenfold: this bound keeps a crafted batch (a "zip bomb")
/// from taking a tab's memory.
pub const MAX_DECOMPRESSED_BYTES: usize = 64 << 20;

fn unsupported(codec: Compression) -> Error {
    Error::UnsupportedCompressionType(format!(
        "{codec:?} batches are not supported by franz; use GZIP (KafkaJS's built-in codec) or none"
    ))
}

/// A compressed records section, decompressed.
pub fn decompress(codec: Compression, data: &[u8]) -> Result<Vec<u8>> {
    if codec != Compression::Gzip {
        return Err(unsupported(codec));
    }
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(1 << 20));
    // One byte past the bound tells a section that is too large from one that just fits.
    let read = GzDecoder::new(data).take(MAX_DECOMPRESSED_BYTES as u64 + 1).read_to_end(&mut out);
    match read {
        Err(e) => Err(Error::CorruptMessage(format!("a GZIP batch does not decompress: {e}"))),
        Ok(n) if n > MAX_DECOMPRESSED_BYTES => {
            Err(Error::CorruptMessage(format!("a GZIP batch decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes")))
        }
        Ok(_) => Ok(out),
    }
}

/// A records section, compressed with `codec`.
pub fn compress(codec: Compression, data: &[u8]) -> Result<Vec<u8>> {
    if codec != Compression::Gzip {
        return Err(unsupported(codec));
    }
    Ok(gzip(data))
}

/// `data` compressed with GZIP.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 2), flate2::Compression::default());
    encoder.write_all(data).and_then(|()| encoder.finish()).expect("writing into a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_round_trips_and_the_other_codecs_are_refused() {
        let data: Vec<u8> = (0..10_000u32).flat_map(|i| (i % 7).to_be_bytes()).collect();
        let packed = compress(Compression::Gzip, &data).unwrap();
        assert!(packed.len() < data.len() / 10);
        assert_eq!(decompress(Compression::Gzip, &packed).unwrap(), data);
        for codec in [Compression::Snappy, Compression::Lz4, Compression::Zstd] {
            assert_eq!(decompress(codec, &packed).unwrap_err().name(), "UNSUPPORTED_COMPRESSION_TYPE");
            assert_eq!(compress(codec, &data).unwrap_err().name(), "UNSUPPORTED_COMPRESSION_TYPE");
        }
    }

    #[test]
    fn garbage_and_bombs_are_corrupt_messages() {
        assert_eq!(decompress(Compression::Gzip, b"not gzip at all").unwrap_err().name(), "CORRUPT_MESSAGE");
        let mut cut = compress(Compression::Gzip, &[7; 1000]).unwrap();
        cut.truncate(cut.len() / 2);
        assert_eq!(decompress(Compression::Gzip, &cut).unwrap_err().name(), "CORRUPT_MESSAGE");
        let bomb = compress(Compression::Gzip, &vec![0; MAX_DECOMPRESSED_BYTES + 1]).unwrap();
        let err = decompress(Compression::Gzip, &bomb).unwrap_err();
        assert_eq!(err.name(), "CORRUPT_MESSAGE");
        assert!(err.to_string().contains("more than"), "{err}");
    }
}
