//! CRC-32C, the checksum of every RecordBatch v2: its producer seals it, the leader checks it, and so does a
//! consumer that asks to.
//!
//! Natively the `crc32c` crate uses the CPU's CRC instruction. Wasm has none, and there long inputs go through
//! Chorba's method (Sam Russell, "Chorba: A novel CRC32 implementation", 2024), which needs no table: CRC-32C's
//! polynomial P divides Q = x^209 + x^144 + x^54 + x^39 + x^14 + 1 (found by a search for sparse multiples), so
//! XORing Q's pattern into a message anywhere leaves its CRC as it was. Each 64-bit word is cleared that way,
//! its bits moved into the next four words by ten shifts and XORs, until only a few words are left for a table.
//! Two halves of the input are cleared side by side in the two lanes of a SIMD register, and their CRCs joined.
//! In Chromium's V8 (a test page, 112 KB inputs) one lane checksummed 3.7–4.2 GB/s and two 6.9–7.9, against
//! 1.6–1.7 for the `crc` crate's 16-way table, which was a quarter of the producer's and a third of the host's
//! CPU in the workers benchmark.

/// The CRC-32C of `bytes`.
pub fn crc32c(bytes: &[u8]) -> u32 {
    crc32c_append(0, bytes)
}

/// The CRC-32C of some bytes, whose CRC-32C is `crc`, followed by `bytes`.
pub fn crc32c_append(crc: u32, bytes: &[u8]) -> u32 {
    #[cfg(target_arch = "wasm32")]
    return chorba_append(crc, bytes);
    #[cfg(not(target_arch = "wasm32"))]
    return crc32c::crc32c_append(crc, bytes);
}

/// Shorter inputs (a batch of a few records) go to the table: the halves' tails (up to ~140 bytes through the
/// table) and their join (a few 32-step multiplications) cost the same whatever the length. Not tuned further.
const CHORBA_MIN_BYTES: usize = 1024;
/// A cleared word and the four its bits land in.
const WINDOW: usize = 5;

const TABLE: crc::Crc<u32, crc::Table<16>> = crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);

/// `crc32c_append` as wasm computes it (public so that native tests check it against the `crc32c` crate).
pub fn chorba_append(crc: u32, bytes: &[u8]) -> u32 {
    if bytes.len() < CHORBA_MIN_BYTES {
        return table_append(!crc, bytes);
    }
    let half_words = bytes.len() / 16;
    let (first, second) = bytes.split_at(8 * half_words);
    // Whole windows, leaving four words after the last cleared one for its bits to land in.
    let cleared = 8 * ((half_words - 4) / WINDOW * WINDOW);
    // A CRC register starting at r is the same as one starting at zero over a message whose first 32 bits are
    // XORed with r; a register at zero stays there over the zero words clearing leaves. The first half goes on
    // from `crc`; the second starts afresh (register !0), and `combine` joins the two.
    let mut pending = [lanes::new(0, 0); WINDOW];
    pending[0] = lanes::new(u64::from(!crc), u64::from(!0u32));
    for (a, b) in first[..cleared].chunks_exact(8 * WINDOW).zip(second[..cleared].chunks_exact(8 * WINDOW)) {
        for j in 0..WINDOW {
            // A bit d places later is `<< d` within the little-endian word (CRC-32C is reflected).
            let v = lanes::xor(lanes::new(word(&a[8 * j..]), word(&b[8 * j..])), pending[j]);
            pending[j] = lanes::new(0, 0);
            // x^144: 65 bits later; x^54: 155; x^39: 170; x^14: 195; 1: 209.
            land(&mut pending, j + 1, lanes::shl(v, 1));
            land(&mut pending, j + 2, lanes::xor(lanes::shr(v, 63), lanes::xor(lanes::shl(v, 27), lanes::shl(v, 42))));
            let third = lanes::xor(
                lanes::xor(lanes::shr(v, 37), lanes::shr(v, 22)),
                lanes::xor(lanes::shl(v, 3), lanes::shl(v, 17)),
            );
            land(&mut pending, j + 3, third);
            land(&mut pending, j + 4, lanes::xor(lanes::shr(v, 61), lanes::shr(v, 47)));
        }
    }
    let finish = |half: &[u8], lane: fn(lanes::Lanes) -> u64| {
        let mut landed = [0u8; 32];
        for (t, out) in landed.chunks_exact_mut(8).enumerate() {
            out.copy_from_slice(&(word(&half[cleared + 8 * t..]) ^ lane(pending[t])).to_le_bytes());
        }
        let mut digest = TABLE.digest_with_initial(0);
        digest.update(&landed);
        digest.update(&half[cleared + 32..]);
        digest.finalize()
    };
    combine(finish(first, lanes::first), finish(second, lanes::second), second.len())
}

/// XORs `bits` into the pending word `at` (counted around the window).
fn land(pending: &mut [lanes::Lanes; WINDOW], at: usize, bits: lanes::Lanes) {
    pending[at % WINDOW] = lanes::xor(pending[at % WINDOW], bits);
}

/// Two 64-bit lanes: one SIMD register where wasm has SIMD, a pair of words elsewhere (the native tests).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::{i64x2_shl, u64x2, u64x2_extract_lane, u64x2_shr, v128, v128_xor};
    pub type Lanes = v128;
    pub fn new(first: u64, second: u64) -> Lanes {
        u64x2(first, second)
    }
    pub fn xor(a: Lanes, b: Lanes) -> Lanes {
        v128_xor(a, b)
    }
    pub fn shl(a: Lanes, bits: u32) -> Lanes {
        i64x2_shl(a, bits)
    }
    pub fn shr(a: Lanes, bits: u32) -> Lanes {
        u64x2_shr(a, bits)
    }
    pub fn first(a: Lanes) -> u64 {
        u64x2_extract_lane::<0>(a)
    }
    pub fn second(a: Lanes) -> u64 {
        u64x2_extract_lane::<1>(a)
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    pub type Lanes = [u64; 2];
    pub fn new(first: u64, second: u64) -> Lanes {
        [first, second]
    }
    pub fn xor(a: Lanes, b: Lanes) -> Lanes {
        [a[0] ^ b[0], a[1] ^ b[1]]
    }
    pub fn shl(a: Lanes, bits: u32) -> Lanes {
        [a[0] << bits, a[1] << bits]
    }
    pub fn shr(a: Lanes, bits: u32) -> Lanes {
        [a[0] >> bits, a[1] >> bits]
    }
    pub fn first(a: Lanes) -> u64 {
        a[0]
    }
    pub fn second(a: Lanes) -> u64 {
        a[1]
    }
}

/// The CRC-32C of A followed by B, from A's, B's and B's length: A's CRC register moved over B's length of
/// zeros (a multiplication by x^(8 len) modulo the polynomial), plus B's (as zlib's `crc32_combine`). Not the
/// `crc32c` crate's `crc32c_combine`: it squares 32x32 matrices for every bit of the length, 12 µs a call for a
/// 32 KB half natively (more than checksumming 64 KB in wasm); with the powers precomputed, this one does at
/// most one 32-step multiplication per set bit of the length (0.43 µs a call natively even squaring as it goes).
fn combine(crc_a: u32, crc_b: u32, len_b: usize) -> u32 {
    let mut shift = ONE;
    let mut bits = len_b;
    for power in X_TO_8_TIMES_2_TO_THE {
        if bits == 0 {
            break;
        }
        if bits & 1 == 1 {
            shift = multiply(power, shift);
        }
        bits >>= 1;
    }
    multiply(shift, crc_a) ^ crc_b
}

/// Polynomials modulo CRC-32C's, bit-reflected as its register holds them: bit 31 is x^0.
const ONE: u32 = 1 << 31;
const POLYNOMIAL: u32 = 0x82F6_3B78;

/// x^(8 * 2^k) modulo the polynomial, for k = 0..64.
const X_TO_8_TIMES_2_TO_THE: [u32; 64] = {
    let mut powers = [0u32; 64];
    let mut p = ONE >> 8; // x^8
    let mut k = 0;
    while k < 64 {
        powers[k] = p;
        p = multiply(p, p);
        k += 1;
    }
    powers
};

/// a * b modulo the polynomial.
const fn multiply(a: u32, mut b: u32) -> u32 {
    let mut product = 0;
    let mut bit = ONE;
    while bit != 0 {
        if a & bit != 0 {
            product ^= b;
        }
        b = if b & 1 == 1 { (b >> 1) ^ POLYNOMIAL } else { b >> 1 };
        bit >>= 1;
    }
    product
}

/// The little-endian word at the start of `bytes` (which holds at least eight).
fn word(bytes: &[u8]) -> u64 {
    bytes[..8].try_into().map_or(0, u64::from_le_bytes)
}

/// CRC-32C by the `crc` crate's table, from a register (the complement of the CRC so far).
fn table_append(register: u32, bytes: &[u8]) -> u32 {
    // The crate takes an initial register bit-reversed, as it does for every reflected CRC.
    let mut digest = TABLE.digest_with_initial(register.reverse_bits());
    digest.update(bytes);
    digest.finalize()
}
