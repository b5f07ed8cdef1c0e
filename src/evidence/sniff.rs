//! A file's type, from its first bytes (magic numbers), whatever the upload declared; and
//! whether a declared type and an evidence kind fit what was found.

/// Every type the engine recognises by content; `evidence.allowed_types` is a subset.
pub const KNOWN: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "application/pdf",
    "audio/mpeg",
    "audio/mp4",
    "audio/wav",
    "audio/ogg",
    "video/mp4",
    "video/quicktime",
    "video/webm",
];

/// Bytes of the head [`sniff`] needs at most.
pub const HEAD: usize = 16;

/// The type the bytes start like, if the engine knows it.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let at = |i: usize, magic: &[u8]| head.get(i..i + magic.len()) == Some(magic);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some("image/gif");
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some("image/webp");
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some("audio/wav");
    }
    if at(0, b"%PDF-") {
        return Some("application/pdf");
    }
    if at(0, b"OggS") {
        return Some("audio/ogg");
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some("video/webm");
    }
    if at(4, b"ftyp") {
        let brand = head.get(8..12)?;
        return Some(match brand {
            b"M4A " | b"M4B " | b"M4P " => "audio/mp4",
            b"qt  " => "video/quicktime",
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc" => "image/heic",
            _ => "video/mp4",
        });
    }
    if at(0, b"ID3") {
        return Some("audio/mpeg");
    }
    // An MPEG audio frame: 11 sync bits, a layer that is not "reserved".
    if let [0xFF, b, ..] = head
        && b & 0xE0 == 0xE0
        && b & 0x06 != 0
    {
        return Some("audio/mpeg");
    }
    None
}

/// A declared type in the engine's spelling (`image/jpg` is `image/jpeg`), without
/// parameters; `None` for a declaration that claims nothing (`application/octet-stream`).
pub fn normalise(declared: &str) -> Option<String> {
    let t = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let t = match t.as_str() {
        "" | "application/octet-stream" | "binary/octet-stream" => return None,
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        "audio/mp3" | "audio/x-mp3" | "audio/mpeg3" | "audio/x-mpeg" => "audio/mpeg",
        "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "audio/wav",
        "audio/x-m4a" | "audio/m4a" | "audio/aac" => "audio/mp4",
        "application/x-pdf" => "application/pdf",
        "video/x-matroska" | "audio/webm" => "video/webm",
        "image/heif" => "image/heic",
        other => return Some(other.to_owned()),
    };
    Some(t.to_owned())
}

/// Whether the type an upload declared is the type found: the same, or one container both
/// can be (an MP4 holds sound or pictures; so does a WebM).
pub fn declared_fits(declared: &str, found: &str) -> bool {
    let Some(declared) = normalise(declared) else {
        return true;
    };
    let mp4 = ["audio/mp4", "video/mp4", "video/quicktime"];
    declared == found || (mp4.contains(&declared.as_str()) && mp4.contains(&found))
}

/// Whether a file of type `found` can be evidence of `kind`: a photo an image, a video a
/// video, audio sound (an MP4 or WebM container may hold either). Other kinds (records,
/// documents, screenshots...) take any allowed type.
pub fn kind_fits(kind: &str, found: &str) -> bool {
    let container = matches!(found, "video/mp4" | "audio/mp4" | "video/webm");
    match kind {
        "photo" => found.starts_with("image/"),
        "video" => found.starts_with("video/") || (container && found != "audio/mp4"),
        "audio" => found.starts_with("audio/") || container,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_found_in_the_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE1, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0"), Some("video/mp4"));
        assert_eq!(sniff(b"\0\0\0\x18ftypM4A \0\0"), Some("audio/mp4"));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0"), Some("video/quicktime"));
        assert_eq!(sniff(b"ID3\x04\0\0"), Some("audio/mpeg"));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x00]), Some("audio/mpeg"));
        assert_eq!(sniff(b"OggS\0\x02"), Some("audio/ogg"));
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1]), Some("video/webm"));
        // Text, an executable, a half JPEG marker: unknown.
        assert_eq!(sniff(b"hello, world"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None);
        assert_eq!(sniff(&[]), None);
        for t in KNOWN {
            assert_eq!(normalise(t).as_deref(), Some(*t), "{t} is its own spelling");
        }
    }

    #[test]
    fn a_declaration_must_fit_what_was_found() {
        assert!(declared_fits("image/jpeg", "image/jpeg"));
        assert!(declared_fits("image/JPG; charset=x", "image/jpeg"));
        assert!(declared_fits("application/octet-stream", "application/pdf"));
        assert!(declared_fits("video/mp4", "audio/mp4"));
        assert!(!declared_fits("image/jpeg", "image/png"));
        assert!(!declared_fits("image/jpeg", "application/pdf"));
        assert!(kind_fits("photo", "image/png"));
        assert!(!kind_fits("photo", "application/pdf"));
        assert!(kind_fits("audio", "audio/ogg"));
        assert!(kind_fits("audio", "video/webm"));
        assert!(!kind_fits("video", "audio/mpeg"));
        assert!(kind_fits("inspection_record", "application/pdf"));
    }
}
