//! What a JPEG says about itself: the EXIF `DateTimeOriginal` and GPS position, read from
//! the APP1 block at the start of the file. Phones strip or forge both: the engine keeps
//! them as a hint beside the site and the vehicle's position, never as proof.

use crate::domain::geo::LatLng;

/// A photo's own claims.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Claims {
    /// `YYYY:MM:DD HH:MM:SS`, the camera's clock (no zone), as `YYYY-MM-DDTHH:MM:SS`.
    pub taken_at: Option<String>,
    pub position: Option<LatLng>,
}

/// Reads the EXIF claims of the JPEG starting with `head`; `None` for anything else or a
/// JPEG without them.
pub fn read(head: &[u8]) -> Option<Claims> {
    let tiff = app1(head)?;
    let ifd = Tiff::new(tiff)?;
    let ifd0 = ifd.u32_at(4)? as usize;
    let mut claims = Claims::default();
    let mut exif_ifd = None;
    let mut gps_ifd = None;
    for (tag, typ, count, value_at) in ifd.entries(ifd0)? {
        match tag {
            0x8769 => exif_ifd = ifd.value_u32(typ, value_at),
            0x8825 => gps_ifd = ifd.value_u32(typ, value_at),
            // DateTime, used when there is no DateTimeOriginal.
            0x0132 if claims.taken_at.is_none() => claims.taken_at = ifd.ascii(count, value_at),
            _ => {}
        }
    }
    if let Some(at) = exif_ifd {
        for (tag, _, count, value_at) in ifd.entries(at as usize)? {
            if tag == 0x9003 {
                claims.taken_at = ifd.ascii(count, value_at).or(claims.taken_at);
            }
        }
    }
    claims.taken_at = claims.taken_at.and_then(|t| iso(&t));
    if let Some(at) = gps_ifd {
        let (mut lat_ref, mut lng_ref, mut lat, mut lng) = (None, None, None, None);
        for (tag, _, count, value_at) in ifd.entries(at as usize)? {
            match tag {
                1 => lat_ref = ifd.ascii(count, value_at),
                2 => lat = ifd.degrees(value_at),
                3 => lng_ref = ifd.ascii(count, value_at),
                4 => lng = ifd.degrees(value_at),
                _ => {}
            }
        }
        if let (Some(mut lat), Some(mut lng)) = (lat, lng) {
            if lat_ref.as_deref() == Some("S") {
                lat = -lat;
            }
            if lng_ref.as_deref() == Some("W") {
                lng = -lng;
            }
            claims.position = LatLng::new(lat, lng).ok();
        }
    }
    (claims.taken_at.is_some() || claims.position.is_some()).then_some(claims)
}

/// `2026:12:07 14:02:11` as `2026-12-07T14:02:11`; anything else is dropped.
fn iso(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    (b.len() >= 19
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
        && digits(17..19))
    .then(|| {
        format!(
            "{}-{}-{}T{}",
            &raw[0..4],
            &raw[5..7],
            &raw[8..10],
            &raw[11..19]
        )
    })
}

/// The TIFF block of the JPEG's `Exif` APP1 segment.
fn app1(jpeg: &[u8]) -> Option<&[u8]> {
    if jpeg.get(0..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        let marker = jpeg.get(at..at + 2)?;
        if marker[0] != 0xFF {
            return None;
        }
        // Start of scan or end of image: no EXIF before the picture.
        if marker[1] == 0xDA || marker[1] == 0xD9 {
            return None;
        }
        let len = u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]) as usize;
        let body = jpeg.get(at + 4..at + 2 + len)?;
        if marker[1] == 0xE1 && body.starts_with(b"Exif\0\0") {
            return Some(&body[6..]);
        }
        at += 2 + len;
    }
}

/// A TIFF structure in either byte order.
struct Tiff<'a> {
    data: &'a [u8],
    little: bool,
}

impl<'a> Tiff<'a> {
    fn new(data: &'a [u8]) -> Option<Self> {
        let little = match data.get(0..2)? {
            b"II" => true,
            b"MM" => false,
            _ => return None,
        };
        Some(Self { data, little })
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.data.get(at..at + 2)?.try_into().ok()?;
        Some(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at + 4)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// The entries of the directory at `at`: (tag, type, count, offset of the value field).
    fn entries(&self, at: usize) -> Option<Vec<(u16, u16, u32, usize)>> {
        let n = self.u16_at(at)? as usize;
        // A directory has a few dozen entries; a huge count is a broken file.
        if n > 512 {
            return None;
        }
        (0..n)
            .map(|i| {
                let e = at + 2 + 12 * i;
                Some((
                    self.u16_at(e)?,
                    self.u16_at(e + 2)?,
                    self.u32_at(e + 4)?,
                    e + 8,
                ))
            })
            .collect()
    }

    /// A LONG (or SHORT) value held in the entry itself.
    fn value_u32(&self, typ: u16, value_at: usize) -> Option<u32> {
        match typ {
            4 => self.u32_at(value_at),
            3 => self.u16_at(value_at).map(u32::from),
            _ => None,
        }
    }

    /// An ASCII value: in the entry when it fits in 4 bytes, else at its offset.
    fn ascii(&self, count: u32, value_at: usize) -> Option<String> {
        let count = count as usize;
        let at = if count <= 4 {
            value_at
        } else {
            self.u32_at(value_at)? as usize
        };
        let raw = self.data.get(at..at + count)?;
        let text = raw.split(|b| *b == 0).next()?;
        std::str::from_utf8(text).ok().map(|s| s.trim().to_owned())
    }

    /// Three RATIONALs (degrees, minutes, seconds) as decimal degrees.
    fn degrees(&self, value_at: usize) -> Option<f64> {
        let at = self.u32_at(value_at)? as usize;
        let mut parts = [0f64; 3];
        for (i, p) in parts.iter_mut().enumerate() {
            let num = self.u32_at(at + 8 * i)?;
            let den = self.u32_at(at + 8 * i + 4)?;
            if den == 0 {
                return None;
            }
            *p = f64::from(num) / f64::from(den);
        }
        Some(parts[0] + parts[1] / 60.0 + parts[2] / 3600.0)
    }
}

/// A minimal JPEG with an EXIF block holding `taken_at` and a GPS position, for tests
/// (and the test suites' photos).
pub fn sample_jpeg(taken_at: &str, lat: f64, lng: f64) -> Vec<u8> {
    // Big-endian TIFF: IFD0 with ExifIFD and GPS pointers, the Exif IFD with
    // DateTimeOriginal, the GPS IFD with N/E and the degrees as rationals.
    let mut t: Vec<u8> = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&typ.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value.to_be_bytes());
    };
    // IFD0 at 8: 2 entries -> 2 + 24 + 4 = 30 bytes, ends at 38.
    let exif_at = 38u32;
    // Exif IFD: 1 entry -> 18 bytes, ends at 56; its date (20 bytes) at 56.
    let date_at = 56u32;
    let gps_at = 76u32;
    // GPS IFD: 4 entries -> 2 + 48 + 4 = 54 bytes, ends at 130; rationals at 130 and 154.
    let lat_at = 130u32;
    let lng_at = 154u32;
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x8769, 4, 1, exif_at);
    entry(&mut t, 0x8825, 4, 1, gps_at);
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&1u16.to_be_bytes());
    entry(&mut t, 0x9003, 2, 20, date_at);
    t.extend_from_slice(&0u32.to_be_bytes());
    let mut date = taken_at.as_bytes().to_vec();
    date.resize(20, 0);
    t.extend_from_slice(&date);
    t.extend_from_slice(&4u16.to_be_bytes());
    let ns = u32::from_be_bytes([if lat < 0.0 { b'S' } else { b'N' }, 0, 0, 0]);
    let ew = u32::from_be_bytes([if lng < 0.0 { b'W' } else { b'E' }, 0, 0, 0]);
    entry(&mut t, 1, 2, 2, ns);
    entry(&mut t, 2, 5, 3, lat_at);
    entry(&mut t, 3, 2, 2, ew);
    entry(&mut t, 4, 5, 3, lng_at);
    t.extend_from_slice(&0u32.to_be_bytes());
    for v in [lat.abs(), lng.abs()] {
        let deg = v.trunc();
        let min = ((v - deg) * 60.0).trunc();
        let sec_milli = (((v - deg) * 60.0 - min) * 60.0 * 1000.0).round();
        for (num, den) in [
            (deg as u32, 1u32),
            (min as u32, 1),
            (sec_milli as u32, 1000),
        ] {
            t.extend_from_slice(&num.to_be_bytes());
            t.extend_from_slice(&den.to_be_bytes());
        }
    }
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    let len = (t.len() + 8) as u16;
    jpeg.extend_from_slice(&len.to_be_bytes());
    jpeg.extend_from_slice(b"Exif\0\0");
    jpeg.extend_from_slice(&t);
    // A tiny picture's worth of bytes, then the end of the image.
    jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 2]);
    jpeg.extend_from_slice(&[0x11; 32]);
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photos_time_and_place_are_read() {
        let jpeg = sample_jpeg("2026:12:07 14:02:11", 29.8500, 115.5520);
        let c = read(&jpeg).expect("claims");
        assert_eq!(c.taken_at.as_deref(), Some("2026-12-07T14:02:11"));
        let p = c.position.expect("position");
        assert!((p.lat() - 29.85).abs() < 1e-5, "{}", p.lat());
        assert!((p.lng() - 115.552).abs() < 1e-5, "{}", p.lng());
        let south = read(&sample_jpeg("2026:01:02 03:04:05", -33.5, -70.25)).expect("claims");
        assert!(
            south
                .position
                .is_some_and(|p| p.lat() < 0.0 && p.lng() < 0.0)
        );
    }

    #[test]
    fn anything_else_says_nothing_and_never_panics() {
        assert_eq!(read(b"%PDF-1.7"), None);
        assert_eq!(read(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        let jpeg = sample_jpeg("2026:12:07 14:02:11", 29.85, 115.55);
        for cut in 0..jpeg.len() {
            let _ = read(&jpeg[..cut]);
        }
        let mut broken = jpeg.clone();
        for i in 12..broken.len() {
            broken[i] ^= 0x5A;
            let _ = read(&broken);
            broken[i] ^= 0x5A;
        }
    }
}
