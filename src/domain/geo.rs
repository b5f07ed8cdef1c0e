//! WGS-84 positions and the service area.

use serde::{Deserialize, Serialize};

/// A WGS-84 position, validated on construction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawLatLng")]
pub struct LatLng {
    lat: f64,
    lng: f64,
}

#[derive(Deserialize)]
struct RawLatLng {
    lat: f64,
    lng: f64,
}

impl TryFrom<RawLatLng> for LatLng {
    type Error = String;
    fn try_from(raw: RawLatLng) -> Result<Self, String> {
        LatLng::new(raw.lat, raw.lng)
    }
}

impl LatLng {
    pub fn new(lat: f64, lng: f64) -> Result<Self, String> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(format!("latitude {lat} is outside -90..90"));
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(format!("longitude {lng} is outside -180..180"));
        }
        Ok(Self { lat, lng })
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lng(self) -> f64 {
        self.lng
    }

    /// Great-circle distance in metres (haversine, mean Earth radius).
    pub fn distance_m(self, other: LatLng) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lng - self.lng).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_nan() {
        assert!(LatLng::new(91.0, 0.0).is_err());
        assert!(LatLng::new(0.0, 181.0).is_err());
        assert!(LatLng::new(f64::NAN, 0.0).is_err());
        assert!(serde_json::from_str::<LatLng>(r#"{"lat":95,"lng":1}"#).is_err());
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // One degree of latitude is about 111.2 km.
        let a = LatLng::new(29.0, 115.5).expect("valid");
        let b = LatLng::new(30.0, 115.5).expect("valid");
        assert!((a.distance_m(b) - 111_195.0).abs() < 100.0);
    }
}
