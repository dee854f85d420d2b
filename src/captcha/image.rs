//! Drawing a CAPTCHA with our own stroke font (no font crate): each glyph is a few lines and
//! arcs, placed with its own size, rotation, shear and height, the whole word bent by a
//! gentle wave, with a few noise curves and dots on a light background.
//!
//! A picture depends only on its text and a seed, so a challenge stores 13 bytes and the
//! same id always shows the same picture (reloading never offers a fresh noise pattern to
//! average away).

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const WIDTH: u32 = 200;
pub const HEIGHT: u32 = 70;
/// Characters per challenge: 21^5 ≈ 4 million answers.
pub const LENGTH: usize = 5;

/// Only characters nobody mistakes for another: no 0/O/Q, 1/I/L, 5/S, 2/Z, 8, 6/G, V
/// (U), F (E with a noise line through it).
pub const ALPHABET: &[u8] = b"ABCDEHJKMNPRTUWXY3479";

/// One stroke of a glyph, in a box one unit high (y down) and `width` wide.
enum S {
    /// A polyline.
    L(&'static [(f32, f32)]),
    /// An elliptical arc: centre, radii, from and to angle in degrees (0 = right,
    /// 90 = down), drawn in that direction.
    A(f32, f32, f32, f32, f32, f32),
}

struct Glyph {
    ch: u8,
    width: f32,
    strokes: &'static [S],
}

use S::{A, L};

#[rustfmt::skip]
const FONT: &[Glyph] = &[
    Glyph { ch: b'A', width: 0.8, strokes: &[L(&[(0.0, 1.0), (0.4, 0.0), (0.8, 1.0)]), L(&[(0.17, 0.62), (0.63, 0.62)])] },
    Glyph { ch: b'B', width: 0.65, strokes: &[L(&[(0.33, 0.0), (0.0, 0.0), (0.0, 1.0), (0.36, 1.0)]), A(0.33, 0.24, 0.26, 0.24, -90.0, 90.0), L(&[(0.0, 0.48), (0.36, 0.48)]), A(0.36, 0.74, 0.29, 0.26, -90.0, 90.0)] },
    Glyph { ch: b'C', width: 0.8, strokes: &[A(0.4, 0.5, 0.4, 0.5, 40.0, 320.0)] },
    Glyph { ch: b'D', width: 0.75, strokes: &[L(&[(0.3, 0.0), (0.0, 0.0), (0.0, 1.0), (0.3, 1.0)]), A(0.3, 0.5, 0.45, 0.5, -90.0, 90.0)] },
    Glyph { ch: b'E', width: 0.65, strokes: &[L(&[(0.65, 0.0), (0.0, 0.0), (0.0, 1.0), (0.65, 1.0)]), L(&[(0.0, 0.5), (0.5, 0.5)])] },
    Glyph { ch: b'H', width: 0.7, strokes: &[L(&[(0.0, 0.0), (0.0, 1.0)]), L(&[(0.7, 0.0), (0.7, 1.0)]), L(&[(0.0, 0.5), (0.7, 0.5)])] },
    Glyph { ch: b'J', width: 0.6, strokes: &[L(&[(0.25, 0.0), (0.6, 0.0), (0.6, 0.68)]), A(0.3, 0.68, 0.3, 0.32, 0.0, 180.0)] },
    Glyph { ch: b'K', width: 0.7, strokes: &[L(&[(0.0, 0.0), (0.0, 1.0)]), L(&[(0.7, 0.0), (0.0, 0.62)]), L(&[(0.22, 0.43), (0.72, 1.0)])] },
    Glyph { ch: b'M', width: 0.85, strokes: &[L(&[(0.0, 1.0), (0.0, 0.0), (0.425, 0.62), (0.85, 0.0), (0.85, 1.0)])] },
    Glyph { ch: b'N', width: 0.7, strokes: &[L(&[(0.0, 1.0), (0.0, 0.0), (0.7, 1.0), (0.7, 0.0)])] },
    Glyph { ch: b'P', width: 0.65, strokes: &[L(&[(0.0, 1.0), (0.0, 0.0), (0.35, 0.0)]), A(0.35, 0.26, 0.3, 0.26, -90.0, 90.0), L(&[(0.35, 0.52), (0.0, 0.52)])] },
    Glyph { ch: b'R', width: 0.7, strokes: &[L(&[(0.0, 1.0), (0.0, 0.0), (0.35, 0.0)]), A(0.35, 0.26, 0.3, 0.26, -90.0, 90.0), L(&[(0.35, 0.52), (0.0, 0.52)]), L(&[(0.3, 0.52), (0.7, 1.0)])] },
    Glyph { ch: b'T', width: 0.75, strokes: &[L(&[(0.0, 0.0), (0.75, 0.0)]), L(&[(0.375, 0.0), (0.375, 1.0)])] },
    Glyph { ch: b'U', width: 0.7, strokes: &[L(&[(0.0, 0.0), (0.0, 0.62)]), A(0.35, 0.62, 0.35, 0.38, 180.0, 0.0), L(&[(0.7, 0.62), (0.7, 0.0)])] },
    Glyph { ch: b'W', width: 1.0, strokes: &[L(&[(0.0, 0.0), (0.22, 1.0), (0.5, 0.3), (0.78, 1.0), (1.0, 0.0)])] },
    Glyph { ch: b'X', width: 0.7, strokes: &[L(&[(0.0, 0.0), (0.7, 1.0)]), L(&[(0.7, 0.0), (0.0, 1.0)])] },
    Glyph { ch: b'Y', width: 0.75, strokes: &[L(&[(0.0, 0.0), (0.375, 0.5), (0.75, 0.0)]), L(&[(0.375, 0.5), (0.375, 1.0)])] },
    Glyph { ch: b'3', width: 0.65, strokes: &[A(0.3, 0.25, 0.3, 0.25, 200.0, 450.0), A(0.3, 0.74, 0.34, 0.26, -90.0, 160.0)] },
    Glyph { ch: b'4', width: 0.75, strokes: &[L(&[(0.55, 1.0), (0.55, 0.0), (0.0, 0.68), (0.75, 0.68)])] },
    Glyph { ch: b'7', width: 0.7, strokes: &[L(&[(0.0, 0.0), (0.7, 0.0), (0.25, 1.0)])] },
    Glyph { ch: b'9', width: 0.65, strokes: &[A(0.32, 0.3, 0.32, 0.3, 0.0, 360.0), L(&[(0.64, 0.3), (0.5, 1.0)])] },
];

fn glyph(ch: u8) -> Option<&'static Glyph> {
    FONT.iter().find(|g| g.ch == ch.to_ascii_uppercase())
}

/// A fresh random answer from `ALPHABET`.
pub fn random_text(rng: &mut impl Rng) -> String {
    (0..LENGTH)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

type Pt = (f32, f32);

/// How much of each pixel one ink covers (0..1); blended onto the picture in one go, so
/// strokes of one glyph that overlap at their joints do not darken there. `rows` is the
/// band touched so far, so blending skips the rest.
struct Ink {
    cover: Vec<f32>,
    rows: (u32, u32),
}

impl Ink {
    fn new() -> Ink {
        Ink {
            cover: vec![0.0; (WIDTH * HEIGHT) as usize],
            rows: (HEIGHT, 0),
        }
    }

    /// A round-capped line of width `w`, anti-aliased by distance to the segment.
    fn segment(&mut self, a: Pt, b: Pt, w: f32) {
        let r = w / 2.0;
        let x0 = (a.0.min(b.0) - r - 1.0).floor().max(0.0) as u32;
        let x1 = (a.0.max(b.0) + r + 1.0).ceil().min(WIDTH as f32 - 1.0) as u32;
        let y0 = (a.1.min(b.1) - r - 1.0).floor().max(0.0) as u32;
        let y1 = (a.1.max(b.1) + r + 1.0).ceil().min(HEIGHT as f32 - 1.0) as u32;
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = (dx * dx + dy * dy).max(f32::EPSILON);
        self.rows = (self.rows.0.min(y0), self.rows.1.max(y1 + 1));
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let t = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
                let (ex, ey) = (px - a.0 - t * dx, py - a.1 - t * dy);
                let cover = (r + 0.5 - (ex * ex + ey * ey).sqrt()).clamp(0.0, 1.0);
                let cell = &mut self.cover[(y * WIDTH + x) as usize];
                *cell = cell.max(cover);
            }
        }
    }

    fn polyline(&mut self, pts: &[Pt], w: f32) {
        for pair in pts.windows(2) {
            self.segment(pair[0], pair[1], w);
        }
    }

    fn blend(&self, img: &mut RgbImage, colour: [u8; 3]) {
        let (top, end) = (self.rows.0.min(self.rows.1), self.rows.1);
        let band = (top * WIDTH) as usize..(end * WIDTH) as usize;
        let pixels = img.pixels_mut().skip(band.start);
        for (cover, px) in self.cover[band].iter().zip(pixels) {
            if *cover > 0.0 {
                for (c, ink) in px.0.iter_mut().zip(colour) {
                    *c = (*c as f32 + (ink as f32 - *c as f32) * cover).round() as u8;
                }
            }
        }
    }
}

/// The wave through the whole word: bends straight strokes so no two glyphs of the same
/// character look alike and a template cannot simply be matched.
struct Wave {
    amp: f32,
    period: f32,
    phase: f32,
    amp_x: f32,
    phase_x: f32,
}

impl Wave {
    fn apply(&self, (x, y): Pt) -> Pt {
        let tau = std::f32::consts::TAU;
        (
            x + self.amp_x * (y * tau / 40.0 + self.phase_x).sin(),
            y + self.amp * (x * tau / self.period + self.phase).sin(),
        )
    }
}

/// Cuts a polyline into pieces of at most 2 px, so the wave can bend it.
fn subdivide(pts: &[Pt]) -> Vec<Pt> {
    let mut out = Vec::with_capacity(pts.len() * 8);
    for pair in pts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let n = ((b.0 - a.0).hypot(b.1 - a.1) / 2.0).ceil().max(1.0) as usize;
        for i in 0..n {
            let t = i as f32 / n as f32;
            out.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
        }
    }
    out.extend(pts.last());
    out
}

fn arc_points(cx: f32, cy: f32, rx: f32, ry: f32, from: f32, to: f32) -> Vec<Pt> {
    let n = ((to - from).abs() / 10.0).ceil().max(2.0) as usize;
    (0..=n)
        .map(|i| {
            let a = (from + (to - from) * i as f32 / n as f32).to_radians();
            (cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

/// How one glyph sits: size, turn (radians), slant and height off the middle line.
struct Pose {
    scale: f32,
    angle: f32,
    shear: f32,
    rise: f32,
}

impl Pose {
    fn random(rng: &mut StdRng) -> Pose {
        Pose {
            scale: rng.gen_range(0.92..1.08),
            angle: rng.gen_range(-0.25..0.25),
            shear: rng.gen_range(-0.2..0.2),
            rise: rng.gen_range(-4.0..4.0),
        }
    }
}

const INKS: [[u8; 3]; 6] = [
    [28, 42, 110],
    [118, 28, 40],
    [22, 86, 52],
    [70, 36, 110],
    [36, 36, 40],
    [18, 84, 112],
];

/// Draws `text` (characters outside the font are skipped) and encodes it as a PNG.
pub fn render(text: &str, seed: u64) -> Vec<u8> {
    let img = draw(text, seed);
    let mut out = Vec::with_capacity(8 * 1024);
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(img.as_raw(), WIDTH, HEIGHT, ExtendedColorType::Rgb8)
        .expect("encoding an in-memory PNG of a fixed size cannot fail");
    out
}

fn draw(text: &str, seed: u64) -> RgbImage {
    let mut rng = StdRng::seed_from_u64(seed);
    let light = |rng: &mut StdRng| -> [u8; 3] { [0; 3].map(|_| rng.gen_range(232..=250)) };
    let (top, bottom) = (light(&mut rng), light(&mut rng));
    let mut img = RgbImage::from_fn(WIDTH, HEIGHT, |_, y| {
        let t = y as f32 / (HEIGHT - 1) as f32;
        Rgb([0, 1, 2].map(|i| (top[i] as f32 + (bottom[i] as f32 - top[i] as f32) * t) as u8))
    });
    let mid = |rng: &mut StdRng| -> [u8; 3] { [0; 3].map(|_| rng.gen_range(110..=185)) };

    // Two thin curves under the text and one over it.
    let curve = |rng: &mut StdRng, img: &mut RgbImage| {
        let y = |rng: &mut StdRng| rng.gen_range(10.0..HEIGHT as f32 - 10.0);
        let (a, c, b) = (
            (-5.0, y(rng)),
            (rng.gen_range(60.0..140.0), y(rng)),
            (205.0, y(rng)),
        );
        let pts: Vec<Pt> = (0..=40)
            .map(|i| {
                let t = i as f32 / 40.0;
                let u = 1.0 - t;
                (
                    u * u * a.0 + 2.0 * u * t * c.0 + t * t * b.0,
                    u * u * a.1 + 2.0 * u * t * c.1 + t * t * b.1,
                )
            })
            .collect();
        let mut ink = Ink::new();
        ink.polyline(&pts, rng.gen_range(1.2..1.9));
        let colour = mid(rng);
        ink.blend(img, colour);
    };
    curve(&mut rng, &mut img);
    curve(&mut rng, &mut img);

    let glyphs: Vec<&Glyph> = text.bytes().filter_map(glyph).collect();
    let mut height = rng.gen_range(31.0..35.0);
    let gap = rng.gen_range(6.0..9.0);
    let poses: Vec<Pose> = glyphs.iter().map(|_| Pose::random(&mut rng)).collect();
    // A turned or slanted glyph needs more room, or it runs into its neighbour.
    let advance = |g: &Glyph, p: &Pose, height: f32| {
        let h = height * p.scale;
        g.width * h + (p.angle.sin().abs() + p.shear.abs()) * h * 0.35
    };
    let natural: f32 = glyphs
        .iter()
        .zip(&poses)
        .map(|(g, p)| advance(g, p, height) + gap)
        .sum::<f32>()
        - gap;
    // Keep the word inside the picture with room for the wave.
    let room = WIDTH as f32 - 24.0;
    if natural > room {
        height *= room / natural;
    }
    let total = natural.min(room);
    let mut x = (WIDTH as f32 - total) / 2.0 + rng.gen_range(-4.0..4.0);
    let wave = Wave {
        amp: rng.gen_range(2.5..4.5),
        period: rng.gen_range(90.0..150.0),
        phase: rng.gen_range(0.0..std::f32::consts::TAU),
        amp_x: rng.gen_range(0.8..1.8),
        phase_x: rng.gen_range(0.0..std::f32::consts::TAU),
    };
    for (g, pose) in glyphs.iter().zip(&poses) {
        let h = height * pose.scale;
        let room = advance(g, pose, height);
        let (cx, cy) = (x + room / 2.0, HEIGHT as f32 / 2.0 + pose.rise);
        x += room + gap;
        let (sin, cos) = pose.angle.sin_cos();
        let place = |(u, v): Pt| -> Pt {
            let (lx, ly) = (
                (u - g.width / 2.0) * h + pose.shear * (v - 0.5) * h,
                (v - 0.5) * h,
            );
            (cx + lx * cos - ly * sin, cy + lx * sin + ly * cos)
        };
        let mut ink = Ink::new();
        let stroke = rng.gen_range(3.2..4.2);
        for s in g.strokes {
            let pts = match s {
                L(pts) => pts.to_vec(),
                A(cx, cy, rx, ry, from, to) => arc_points(*cx, *cy, *rx, *ry, *from, *to),
            };
            let placed: Vec<Pt> = pts.into_iter().map(place).collect();
            let bent: Vec<Pt> = subdivide(&placed)
                .into_iter()
                .map(|p| wave.apply(p))
                .collect();
            ink.polyline(&bent, stroke);
        }
        ink.blend(&mut img, INKS[rng.gen_range(0..INKS.len())]);
    }

    curve(&mut rng, &mut img);
    // Dots in three colours (one ink each: blending is per ink, not per dot).
    for _ in 0..3 {
        let mut ink = Ink::new();
        for _ in 0..rng.gen_range(30..45) {
            let p = (
                rng.gen_range(0.0..WIDTH as f32),
                rng.gen_range(0.0..HEIGHT as f32),
            );
            ink.segment(p, p, rng.gen_range(1.2..2.6));
        }
        let colour = [0; 3].map(|_| rng.gen_range(70..=200));
        ink.blend(&mut img, colour);
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alphabet_character_has_a_glyph_and_no_confusable_is_offered() {
        for &c in ALPHABET {
            assert!(glyph(c).is_some(), "{} has no glyph", c as char);
        }
        assert_eq!(FONT.len(), ALPHABET.len());
        for bad in b"0O1IL5S2Z8" {
            assert!(!ALPHABET.contains(bad), "{} is confusable", *bad as char);
        }
    }

    #[test]
    fn the_picture_is_a_png_of_the_promised_size_and_depends_on_the_seed() {
        let a = render("AB3XY", 7);
        let img = image::load_from_memory(&a).expect("decodes");
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        assert_eq!(a, render("AB3XY", 7), "same text and seed, same picture");
        assert_ne!(a, render("AB3XY", 8));
    }

    /// Every letter of the alphabet draws into a picture of the right size, and writes the
    /// samples to look at by eye (`cornershop-captcha-samples` in the temp folder).
    #[test]
    fn every_letter_draws_and_samples_are_written() {
        let dir = std::env::temp_dir().join("cornershop-captcha-samples");
        std::fs::create_dir_all(&dir).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let mut seen = std::collections::HashSet::new();
        for (i, chunk) in ALPHABET.chunks(LENGTH).enumerate() {
            let text = std::str::from_utf8(chunk).unwrap();
            let png = render(text, i as u64);
            let img = image::load_from_memory(&png).unwrap();
            assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT), "{text}");
            assert!(seen.insert(png.clone()), "{text} draws like another word");
            std::fs::write(dir.join(format!("a{i}-{text}.png")), png).unwrap();
        }
        for i in 0..12 {
            let text = random_text(&mut rng);
            std::fs::write(dir.join(format!("r{i}-{text}.png")), render(&text, i)).unwrap();
        }
    }
}
