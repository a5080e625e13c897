//! Indonesia's coastline (and its neighbours') for the map chart: Natural Earth 1:50m,
//! simplified once by `convert.py` into `indonesia.txt` (see `LICENSE.md`).

/// The outlines: `I` (Indonesia) or `N` (a neighbour), then `lon,lat` pairs.
const OUTLINE: &str = include_str!("indonesia.txt");

/// One island's (or a stretch of mainland's) outer ring.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    /// Indonesian land (else a neighbour's).
    pub indonesia: bool,
    /// `(lon, lat)` in degrees, closed implicitly.
    pub points: Vec<(f64, f64)>,
}

/// Every ring of the outline.
pub fn rings() -> Vec<Ring> {
    OUTLINE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|line| {
            let mut parts = line.split(' ');
            let indonesia = parts.next()? == "I";
            let points = parts
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect();
            Some(Ring { indonesia, points })
        })
        .collect()
}

/// The part of a ring inside a rectangle (Sutherland-Hodgman, one edge at a time); empty
/// when none of it is.
pub fn clip(points: &[(f64, f64)], lon: (f64, f64), lat: (f64, f64)) -> Vec<(f64, f64)> {
    type Inside = fn(f64, (f64, f64)) -> bool;
    let edges: [(Inside, bool, f64); 4] = [
        (|v, p| p.0 >= v, true, lon.0),
        (|v, p| p.0 <= v, true, lon.1),
        (|v, p| p.1 >= v, false, lat.0),
        (|v, p| p.1 <= v, false, lat.1),
    ];
    let mut out = points.to_vec();
    for (inside, vertical, v) in edges {
        let input = std::mem::take(&mut out);
        let Some(&last) = input.last() else {
            break;
        };
        let cross = |a: (f64, f64), b: (f64, f64)| {
            if vertical {
                let t = (v - a.0) / (b.0 - a.0);
                (v, a.1 + t * (b.1 - a.1))
            } else {
                let t = (v - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), v)
            }
        };
        let mut prev = last;
        for &p in &input {
            match (inside(v, p), inside(v, prev)) {
                (true, true) => out.push(p),
                (true, false) => {
                    out.push(cross(prev, p));
                    out.push(p);
                }
                (false, true) => out.push(cross(prev, p)),
                (false, false) => {}
            }
            prev = p;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outline_holds_indonesias_big_islands() {
        let rings = rings();
        let indonesian: Vec<&Ring> = rings.iter().filter(|r| r.indonesia).collect();
        assert!(indonesian.len() > 50, "{} rings", indonesian.len());
        // A point inside each of Java, Sulawesi and (Indonesian) Kalimantan falls in some
        // Indonesian ring; one in the Java Sea falls in none.
        let inside = |(x, y): (f64, f64)| {
            indonesian.iter().any(|r| {
                let p = &r.points;
                let mut c = false;
                for i in 0..p.len() {
                    let (a, b) = (p[i], p[(i + 1) % p.len()]);
                    if (a.1 > y) != (b.1 > y) && x < a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0) {
                        c = !c;
                    }
                }
                c
            })
        };
        for (place, at) in [
            ("Java, near Yogyakarta", (110.4, -7.6)),
            ("Sulawesi, near Palu", (120.0, -1.5)),
            ("Kalimantan, near Palangkaraya", (113.9, -2.2)),
        ] {
            assert!(inside(at), "{place}");
        }
        assert!(!inside((111.0, -5.0)), "the Java Sea");
    }

    #[test]
    fn clipping_keeps_the_part_inside() {
        let square = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)];
        let clipped = clip(&square, (1.0, 2.0), (-1.0, 3.0));
        let xs: Vec<f64> = clipped.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = clipped.iter().map(|p| p.1).collect();
        assert!(xs.iter().all(|&x| (1.0..=2.0).contains(&x)), "{clipped:?}");
        assert!(ys.iter().all(|&y| (0.0..=3.0).contains(&y)), "{clipped:?}");
        assert_eq!(clipped.len(), 4);
        assert!(clip(&square, (10.0, 11.0), (0.0, 1.0)).is_empty());
    }
}
