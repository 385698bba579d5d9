//! The opaque `after` cursor of listings.
//!
//! HubSpot's cursor format is unknown (reference/hubdb-api.md §8.1), so the sandbox takes the
//! variant hardest for a client: standard base64 that always holds `+`, `/` and `=`, which
//! break a client that puts the cursor into a URL without percent-encoding it (a bare `+` in a
//! query string decodes to a space). The cursor carries the position of the next row and a
//! checksum over that position and the listing it belongs to (table, version, filters, sort),
//! so a cursor that was mangled or taken from another listing is refused with a 400.

/// Leading bytes that encode to `+/+/` in base64, so every cursor needs URL-encoding.
const MAGIC: [u8; 3] = [0xfb, 0xff, 0xbf];
/// Magic, a 4-byte position and a 4-byte checksum: 11 bytes, so base64 ends in one `=`.
const CURSOR_LEN: usize = MAGIC.len() + 8;
const SALT: &str = "hubdb-sandbox-cursor-v1";
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes the position of the next row of the listing identified by `scope`.
pub fn encode(position: usize, scope: &str) -> String {
    let position = u32::try_from(position).unwrap_or(u32::MAX);
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&position.to_be_bytes());
    bytes.extend_from_slice(&checksum(position, scope).to_be_bytes());
    base64_encode(&bytes)
}

/// Decodes a cursor made by [`encode`] for the same `scope`; `None` for anything else.
pub fn decode(cursor: &str, scope: &str) -> Option<usize> {
    let bytes = base64_decode(cursor)?;
    if bytes.len() != CURSOR_LEN || bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    let position = u32::from_be_bytes(bytes[3..7].try_into().ok()?);
    let sum = u32::from_be_bytes(bytes[7..11].try_into().ok()?);
    (sum == checksum(position, scope)).then_some(position as usize)
}

/// FNV-1a over the salt, the scope and the position.
fn checksum(position: u32, scope: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    let data = SALT
        .bytes()
        .chain(scope.bytes())
        .chain(position.to_be_bytes());
    for byte in data {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(group >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let chunks = text.as_bytes().chunks_exact(4);
    if !chunks.remainder().is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for chunk in chunks {
        let padding = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 {
            return None;
        }
        let mut group = 0u32;
        for (i, &c) in chunk[..4 - padding].iter().enumerate() {
            let value = ALPHABET.iter().position(|&a| a == c)? as u32;
            group |= value << (18 - 6 * i);
        }
        out.extend((0..3 - padding).map(|i| (group >> (16 - 8 * i)) as u8));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_needs_url_encoding() {
        let cursor = encode(1000, "scope");
        assert!(
            cursor.contains('+') && cursor.contains('/') && cursor.ends_with('='),
            "{cursor}"
        );
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_listing_only() {
        let cursor = encode(9000, "t1");
        assert_eq!(decode(&cursor, "t1"), Some(9000));
        assert_eq!(decode(&cursor, "t2"), None);
    }

    #[test]
    fn a_cursor_whose_plus_became_a_space_is_refused() {
        let cursor = encode(1000, "t1").replace('+', " ");
        assert_eq!(decode(&cursor, "t1"), None);
        assert_eq!(decode("1000", "t1"), None);
        assert_eq!(decode("", "t1"), None);
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64_encode(b"hubdb"), "aHViZGI=");
        assert_eq!(base64_decode("aHViZGI=").unwrap(), b"hubdb");
    }
}
