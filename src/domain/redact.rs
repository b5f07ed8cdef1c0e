//! Redaction: what of a ticket may leave the command centre. Field devices see the case
//! but never who reported it; the public board sees neither the reporter nor the exact
//! place. Free text written by citizens or staff can quote the reporter, so text shown
//! outside the centre has the reporter's own name, phone and address masked, and any
//! phone-like run of digits with them.

use super::ticket::Reporter;

/// What masked text shows instead.
pub const MASK: &str = "***";

/// Masks the reporter's name, phone and address, and phone-like digit runs, in `text`.
pub fn mask_reporter(text: &str, reporter: Option<&Reporter>) -> String {
    mask_secrets(mask_phone_numbers(text), reporter)
}

fn mask_secrets(text: String, reporter: Option<&Reporter>) -> String {
    let mut out = text;
    if let Some(r) = reporter {
        let mut secrets: Vec<&str> = [r.name.as_deref(), r.phone.as_deref(), r.address.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            // One character would mask every occurrence of it; a secret holding the mask
            // would make masking twice differ from masking once.
            .filter(|s| s.chars().count() >= 2 && !s.contains('*'))
            .collect();
        // Longest first, so a name inside an address is not masked half-way.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
        for secret in secrets {
            if out.contains(secret) {
                out = out.replace(secret, MASK);
            }
        }
    }
    out
}

/// Replaces every run of 7 or more digits (spaces and dashes allowed inside) with the mask:
/// mobile numbers (11 digits) and landlines (7–8 digits, with an area code or not).
/// Licence numbers (12 digits) are masked too: outside the centre they are not needed.
fn mask_phone_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut j = i;
            let mut digits = 0;
            let mut last_digit = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || matches!(chars[j], ' ' | '-')) {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    last_digit = j;
                }
                j += 1;
            }
            if digits >= 7 {
                out.push_str(MASK);
            } else {
                out.extend(&chars[i..=last_digit]);
            }
            i = last_digit + 1;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Whether `s` is a value the engine wrote, not text: a time, a ticket number or a UUID.
/// Its digit runs are not phone numbers (only the reporter's own details are masked in it).
fn machine_written(s: &str) -> bool {
    if super::Timestamp::parse(s).is_ok() || uuid::Uuid::parse_str(s).is_ok() {
        return true;
    }
    // An evidence file's SHA-256, or the reference naming it.
    let is_sha256 = super::ticket::is_sha256;
    if is_sha256(s) || s.strip_prefix("evidence/").is_some_and(is_sha256) {
        return true;
    }
    // A ticket number: prefix, year, sequence ("WX-2026-000123").
    let mut parts = s.split('-');
    let (Some(prefix), Some(year), Some(n), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !prefix.is_empty()
        && prefix.chars().all(|c| c.is_ascii_uppercase())
        && year.len() == 4
        && !n.is_empty()
        && year.chars().chain(n.chars()).all(|c| c.is_ascii_digit())
}

/// Masks every string inside a JSON value (an event's data on the field stream); times,
/// ticket numbers and ids keep their digits.
pub fn mask_json(value: &mut serde_json::Value, reporter: Option<&Reporter>) {
    match value {
        serde_json::Value::String(s) if machine_written(s) => {
            *s = mask_secrets(std::mem::take(s), reporter);
        }
        serde_json::Value::String(s) => *s = mask_reporter(s, reporter),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| mask_json(v, reporter)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| mask_json(v, reporter)),
        _ => {}
    }
}

/// Erases the reporter's name, phone and address from every text inside a JSON value (a
/// stored event or snapshot whose retention ran out). Identifiers, codes and times are left
/// alone — a single token of letters, digits and `_.:+-` is never free text — so a short
/// name can never break an event type or an id. Masking twice gives what masking once did,
/// which is what keeps the event log's hashes valid across an erasure (`store/chain.rs`).
pub fn erase_json(value: &mut serde_json::Value, reporter: Option<&Reporter>) {
    match value {
        serde_json::Value::String(s) if !is_token(s) => {
            *s = mask_secrets(std::mem::take(s), reporter);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| erase_json(v, reporter)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| erase_json(v, reporter)),
        _ => {}
    }
}

/// An identifier, a code or a time rather than text: one ASCII word with a letter in it.
fn is_token(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'+' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reporter() -> Reporter {
        Reporter {
            name: Some("张晓明".into()),
            phone: Some("13800001234".into()),
            address: Some("梅川镇幸福路9号".into()),
            anonymous: false,
        }
    }

    #[test]
    fn the_reporters_identity_is_masked() {
        let text = "我是张晓明，住梅川镇幸福路9号，电话13800001234，隔壁店卖假烟";
        let masked = mask_reporter(text, Some(&reporter()));
        assert!(!masked.contains("张晓明"));
        assert!(!masked.contains("幸福路9号"));
        assert!(!masked.contains("13800001234"));
        assert!(masked.contains("隔壁店卖假烟"));
    }

    #[test]
    fn phone_like_digits_are_masked_even_without_a_reporter() {
        let masked = mask_reporter("回电 138-0000-9999 或 0713 6221234，门牌18号", None);
        assert_eq!(masked, "回电 *** 或 ***，门牌18号");
    }

    #[test]
    fn short_numbers_stay() {
        assert_eq!(
            mask_reporter("3条软中华, 2026年", None),
            "3条软中华, 2026年"
        );
    }

    #[test]
    fn times_numbers_and_ids_keep_their_digits() {
        let mut v = serde_json::json!({
            "number": "WX-2026-000123",
            "created_at": "2026-11-30T13:58:16.123Z",
            "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "text": "电话13800001234，编号WX-2026-000123",
            "licence": "421182100001",
        });
        mask_json(&mut v, Some(&reporter()));
        assert_eq!(v["number"], "WX-2026-000123");
        assert_eq!(v["created_at"], "2026-11-30T13:58:16.123Z");
        assert_eq!(v["id"], "0f8fad5b-d9cb-469f-a165-70867728950e");
        assert_eq!(v["text"], "电话***，编号WX-***");
        assert_eq!(v["licence"], "***");
    }

    #[test]
    fn erasure_masks_text_but_never_ids_codes_or_times() {
        let r = Reporter {
            name: Some("Li".into()),
            ..reporter()
        };
        let mut v = serde_json::json!({
            "type": "ticket.replied",
            "at": "2026-11-30T13:58:16.123Z",
            "vehicle_id": "V-Li-1",
            "text": "Dear Li, we called 13800001234 about 梅川镇幸福路9号",
            "digits": "13800001234",
        });
        erase_json(&mut v, Some(&r));
        assert_eq!(v["type"], "ticket.replied");
        assert_eq!(v["vehicle_id"], "V-Li-1");
        assert_eq!(v["text"], "Dear ***, we called *** about ***");
        assert_eq!(v["digits"], "***");
        let once = v.clone();
        erase_json(&mut v, Some(&r));
        assert_eq!(v, once, "erasing twice changes nothing more");
    }

    #[test]
    fn json_strings_are_masked_deeply() {
        let mut v = serde_json::json!({ "text": "张晓明说", "list": ["13800001234"], "n": 3 });
        mask_json(&mut v, Some(&reporter()));
        let s = v.to_string();
        assert!(!s.contains("张晓明") && !s.contains("13800001234"), "{s}");
    }
}
