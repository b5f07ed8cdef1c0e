//! The redis side of the `nearest` scenario: load fleet files into a geo key with GEOADD
//! commands of a thousand members each (the key is replaced), and one GEOSEARCH for the
//! nearest member within a radius, with its distance, in the shape of the engine's answer.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::nearest::Answer;

/// GEOSEARCH's own arguments, for the redis side.
#[derive(Clone)]
pub struct RedisConn {
    pub con: redis::aio::MultiplexedConnection,
    pub key: String,
    pub radius_km: f64,
}

pub fn redis_query(
    c: &mut RedisConn,
    lat: f64,
    lng: f64,
) -> std::pin::Pin<Box<dyn Future<Output = Result<Answer>> + Send + '_>> {
    Box::pin(async move {
        let found: Vec<(String, f64)> = redis::cmd("GEOSEARCH")
            .arg(&c.key)
            .arg("FROMLONLAT")
            .arg(lng)
            .arg(lat)
            .arg("BYRADIUS")
            .arg(c.radius_km)
            .arg("km")
            .arg("ASC")
            .arg("COUNT")
            .arg(1)
            .arg("WITHDIST")
            .query_async(&mut c.con)
            .await?;
        Ok(found.into_iter().next().map(|(id, km)| (id, km * 1000.0)))
    })
}

/// Replaces the redis key with the fleet from `files`; returns how many vehicles.
pub async fn load_fleet(
    con: &mut redis::aio::MultiplexedConnection,
    key: &str,
    files: &[PathBuf],
) -> Result<usize> {
    let mut members = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let mut parts = line.split(',');
            let (Some(id), Some(lng), Some(lat)) = (parts.next(), parts.next(), parts.next())
            else {
                bail!("{}:{}: expected `id,lng,lat`", f.display(), n + 1);
            };
            let lng: f64 = lng
                .trim()
                .parse()
                .with_context(|| format!("{}:{}", f.display(), n + 1))?;
            let lat: f64 = lat
                .trim()
                .parse()
                .with_context(|| format!("{}:{}", f.display(), n + 1))?;
            members.push((lng, lat, id.trim().to_owned()));
        }
    }
    if members.is_empty() {
        bail!("the fleet files hold no vehicle");
    }
    let _: () = redis::cmd("DEL").arg(key).query_async(con).await?;
    for chunk in members.chunks(1000) {
        let mut cmd = redis::cmd("GEOADD");
        cmd.arg(key);
        for (lng, lat, id) in chunk {
            cmd.arg(*lng).arg(*lat).arg(id);
        }
        let _: i64 = cmd.query_async(con).await.context("GEOADD")?;
    }
    let n: usize = redis::cmd("ZCARD").arg(key).query_async(con).await?;
    Ok(n)
}
