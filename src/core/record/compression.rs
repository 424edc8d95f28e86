//! Compressed batches (Kafka's `compression.type`): everything after a batch's 61-byte header, its records,
//! may be compressed as one block, the codec named by attribute bits 0-2. franz reads and writes all of Kafka's
//! codecs, in the framings Kafka's Java client writes, so that a batch compressed by Java, kafka-python or a
//! KafkaJS codec plugin reads here, and one written here reads there:
//! - GZIP: one gzip stream;
//! - Snappy: xerial's framing (Java's `SnappyOutputStream`: a 16-byte header, then each 32 KiB of input as a
//!   length-prefixed raw Snappy block); a bare raw Snappy block, as the `kafkajs-snappy` plugin writes, reads too;
//! - LZ4: one LZ4 frame of independent 64 KiB blocks, without checksums, as Java's `KafkaLZ4BlockOutputStream`
//!   writes (the batch's own CRC covers it);
//! - ZSTD: Zstandard frames, written at ruzstd's fastest level (about zstd's level 1; Kafka's default is 3).
//!
//! Every decompression stops one byte past `MAX_DECOMPRESSED_BYTES`, so a crafted batch cannot take a tab's
//! memory; anything that does not decompress is CORRUPT_MESSAGE.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use lz4_flex::frame::{BlockMode, BlockSize, FrameDecoder, FrameEncoder, FrameInfo};

use super::batch::Compression;
use crate::core::error::{Error, Result};

/// The most bytes a batch's records may take once decompressed. A batch is at most `max.message.bytes` (1 MB
/// by default) compressed, and text compresses perhaps tenfold: this bound keeps a crafted batch (a "zip bomb")
/// from taking a tab's memory.
pub const MAX_DECOMPRESSED_BYTES: usize = 64 << 20;

/// xerial's stream header: its magic, then version 1 and lowest compatible version 1 (big-endian words).
const XERIAL_HEADER: [u8; 16] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1];
const XERIAL_MAGIC_LEN: usize = 8;
/// The input bytes of each xerial block: xerial's default, and Java's.
const XERIAL_BLOCK: usize = 32 << 10;

fn corrupt(codec: Compression, why: impl std::fmt::Display) -> Error {
    Error::CorruptMessage(format!("a {codec:?} batch does not decompress: {why}"))
}

fn too_large(codec: Compression) -> Error {
    Error::CorruptMessage(format!("a {codec:?} batch decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes"))
}

/// A compressed records section, decompressed.
pub fn decompress(codec: Compression, data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(1 << 20));
    match codec {
        Compression::None => out.extend_from_slice(data),
        Compression::Gzip => read_bounded(codec, GzDecoder::new(data), &mut out)?,
        Compression::Lz4 => read_bounded(codec, FrameDecoder::new(data), &mut out)?,
        Compression::Snappy => unsnappy(data, &mut out)?,
        Compression::Zstd => unzstd(data, &mut out)?,
    }
    Ok(out)
}

/// Reads all of `reader` onto `out`, failing once `out` would pass the bound.
fn read_bounded(codec: Compression, reader: impl Read, out: &mut Vec<u8>) -> Result<()> {
    // One byte past the bound tells a section that is too large from one that just fits.
    let room = (MAX_DECOMPRESSED_BYTES + 1).saturating_sub(out.len()) as u64;
    reader.take(room).read_to_end(out).map_err(|e| corrupt(codec, e))?;
    if out.len() > MAX_DECOMPRESSED_BYTES {
        return Err(too_large(codec));
    }
    Ok(())
}

/// xerial-framed Snappy, or a bare raw block.
fn unsnappy(data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    if !data.starts_with(&XERIAL_HEADER[..XERIAL_MAGIC_LEN]) {
        return raw_snappy_block(data, out);
    }
    let mut rest = data.get(XERIAL_HEADER.len()..).ok_or_else(|| corrupt(Compression::Snappy, "its header is cut"))?;
    while !rest.is_empty() {
        let (length, after) =
            rest.split_first_chunk::<4>().ok_or_else(|| corrupt(Compression::Snappy, "a block length is cut"))?;
        let length = u32::from_be_bytes(*length) as usize;
        let block = after.get(..length).ok_or_else(|| corrupt(Compression::Snappy, "a block is cut"))?;
        raw_snappy_block(block, out)?;
        rest = &after[length..];
    }
    Ok(())
}

/// One raw Snappy block onto `out`, its size (which the block states first) checked before anything is made.
fn raw_snappy_block(block: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let size = snap::raw::decompress_len(block).map_err(|e| corrupt(Compression::Snappy, e))?;
    if out.len() + size > MAX_DECOMPRESSED_BYTES {
        return Err(too_large(Compression::Snappy));
    }
    let start = out.len();
    out.resize(start + size, 0);
    snap::raw::Decoder::new().decompress(block, &mut out[start..]).map_err(|e| corrupt(Compression::Snappy, e))?;
    Ok(())
}

/// One Zstandard frame after another, until the section ends.
fn unzstd(mut data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    if data.is_empty() {
        return Err(corrupt(Compression::Zstd, "it is empty"));
    }
    while !data.is_empty() {
        // The decoder reads exactly one frame from `data`, moving it past that frame. It sets aside the window
        // a frame's header asks for, and refuses one over 100 MiB: the most a crafted frame can make it take.
        let frame = ruzstd::decoding::StreamingDecoder::new(&mut data).map_err(|e| corrupt(Compression::Zstd, e))?;
        read_bounded(Compression::Zstd, frame, out)?;
    }
    Ok(())
}

/// A records section, compressed with `codec` (`Compression::None`: as it is); GZIP at `gzip_level` (1–9,
/// Kafka's `compression.gzip.level`; `None`: the codec's default, 6).
pub fn compress(codec: Compression, data: &[u8], gzip_level: Option<u32>) -> Vec<u8> {
    match codec {
        Compression::None => data.to_vec(),
        Compression::Gzip => {
            let level = gzip_level.map_or_else(flate2::Compression::default, flate2::Compression::new);
            let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 2), level);
            encoder.write_all(data).and_then(|()| encoder.finish()).expect("writing into a Vec cannot fail")
        }
        Compression::Snappy => {
            let mut out = Vec::with_capacity(XERIAL_HEADER.len() + snap::raw::max_compress_len(data.len()));
            out.extend_from_slice(&XERIAL_HEADER);
            let mut encoder = snap::raw::Encoder::new();
            for block in data.chunks(XERIAL_BLOCK) {
                let at = out.len();
                out.resize(at + 4 + snap::raw::max_compress_len(block.len()), 0);
                let n = encoder.compress(block, &mut out[at + 4..]).expect("the output has the room snap asks for");
                out[at..at + 4].copy_from_slice(&(n as u32).to_be_bytes());
                out.truncate(at + 4 + n);
            }
            out
        }
        Compression::Lz4 => {
            let info = FrameInfo::new()
                .block_size(BlockSize::Max64KB)
                .block_mode(BlockMode::Independent)
                .block_checksums(false)
                .content_checksum(false);
            let mut encoder = FrameEncoder::with_frame_info(info, Vec::with_capacity(data.len() / 2));
            encoder.write_all(data).expect("writing into a Vec cannot fail");
            encoder.finish().expect("writing into a Vec cannot fail")
        }
        Compression::Zstd => ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CODECS: [Compression; 4] = [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd];

    /// Text-like bytes that compress, and longer than one xerial or LZ4 block.
    fn sample(len: usize) -> Vec<u8> {
        (0..len as u32).map(|i| b"kafka in a tab "[(i % 15) as usize] ^ ((i / 1000) as u8 & 1)).collect()
    }

    #[test]
    fn every_codec_round_trips_and_compresses() {
        for codec in CODECS {
            for len in [0, 1, 100, XERIAL_BLOCK - 1, XERIAL_BLOCK, XERIAL_BLOCK + 1, 200_000] {
                let data = sample(len);
                let packed = compress(codec, &data, None);
                assert_eq!(decompress(codec, &packed).unwrap(), data, "{codec:?} of {len} bytes");
                if len >= 100_000 {
                    assert!(packed.len() < data.len() / 5, "{codec:?} packs {len} bytes into {}", packed.len());
                }
            }
        }
    }

    #[test]
    fn snappy_is_xerial_framed_in_32_kib_blocks_and_a_bare_block_reads_too() {
        let data = sample(XERIAL_BLOCK * 2 + 5);
        let packed = compress(Compression::Snappy, &data, None);
        assert_eq!(packed[..16], XERIAL_HEADER);
        let mut blocks = 0;
        let mut rest = &packed[16..];
        while !rest.is_empty() {
            let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            rest = &rest[4 + n..];
            blocks += 1;
        }
        assert_eq!(blocks, 3);
        let bare = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        assert_eq!(decompress(Compression::Snappy, &bare).unwrap(), data);
    }

    #[test]
    fn lz4_is_one_frame_of_independent_64_kib_blocks_without_checksums() {
        let packed = compress(Compression::Lz4, &sample(1000), None);
        assert_eq!(packed[..4], [0x04, 0x22, 0x4d, 0x18], "the LZ4 frame magic");
        // FLG: version 01, independent blocks, no block checksums, no content size, no content checksum.
        assert_eq!(packed[4], 0b0110_0000);
        assert_eq!(packed[5], 4 << 4, "BD: 64 KiB blocks");
    }

    #[test]
    fn concatenated_zstd_frames_read_as_one_section() {
        let (a, b) = (sample(5000), sample(7000));
        let mut both = compress(Compression::Zstd, &a, None);
        both.extend(compress(Compression::Zstd, &b, None));
        assert_eq!(decompress(Compression::Zstd, &both).unwrap(), [a, b].concat());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// A compressed section with bytes changed, cut or added anywhere decompresses to something or is
        /// CORRUPT_MESSAGE: no codec panics (a panic would take down a tab's whole broker).
        #[test]
        fn damaged_sections_never_panic(
            codec in 1i16..=4,
            len in 0usize..5000,
            changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            tail in proptest::collection::vec(any::<u8>(), 0..16),
        ) {
            let codec = Compression::from_bits(codec).unwrap();
            let mut packed = compress(codec, &sample(len), None);
            for (at, byte) in changes {
                let i = at.index(packed.len());
                packed[i] ^= byte.max(1);
            }
            packed.truncate(cut.index(packed.len() + 1));
            packed.extend(tail);
            if let Err(e) = decompress(codec, &packed) {
                prop_assert_eq!(e.name(), "CORRUPT_MESSAGE");
            }
        }

        /// Random bytes read as any codec: decompressed or CORRUPT_MESSAGE, never a panic.
        #[test]
        fn random_bytes_never_panic(codec in 1i16..=4, bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let codec = Compression::from_bits(codec).unwrap();
            if let Err(e) = decompress(codec, &bytes) {
                prop_assert_eq!(e.name(), "CORRUPT_MESSAGE");
            }
        }
    }

    #[test]
    fn garbage_cuts_and_bombs_are_corrupt_messages() {
        for codec in CODECS {
            let err = decompress(codec, b"not compressed at all").unwrap_err();
            assert_eq!(err.name(), "CORRUPT_MESSAGE", "{codec:?}: {err}");
            let mut cut = compress(codec, &sample(5000), None);
            cut.truncate(cut.len() / 2);
            let err = decompress(codec, &cut).unwrap_err();
            assert_eq!(err.name(), "CORRUPT_MESSAGE", "{codec:?} cut: {err}");
            let bomb = compress(codec, &vec![0; MAX_DECOMPRESSED_BYTES + 1], None);
            let err = decompress(codec, &bomb).unwrap_err();
            assert_eq!(err.name(), "CORRUPT_MESSAGE", "{codec:?} bomb: {err}");
            assert!(err.to_string().contains("more than"), "{codec:?} bomb: {err}");
        }
        assert_eq!(decompress(Compression::Zstd, b"").unwrap_err().name(), "CORRUPT_MESSAGE");
    }
}
