//! The upload pipeline (POLICY "Uploads"): an image is accepted only when its *content* is
//! JPEG, PNG or WebP, within the size, side and pixel limits, and it decodes within a memory
//! cap (so a decompression bomb is refused before it is unpacked). It is then re-encoded,
//! which drops every byte of metadata (EXIF, GPS, comments), after turning it upright by its
//! EXIF orientation, and a thumbnail is made. Files get names the shop generates.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use rusqlite::Connection;

use crate::error::AppResult;
use crate::settings;

/// POLICY: fixed ceilings; size and megapixels can be lowered in settings.
pub const MAX_SIDE: u32 = 10_000;
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Longest side of a thumbnail.
pub const THUMB_SIDE: u32 = 480;
const JPEG_QUALITY: u8 = 85;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_pixels: u64,
}

impl Limits {
    /// From settings `media.max_upload_mb` and `media.max_megapixels`.
    pub fn from_settings(conn: &Connection) -> AppResult<Limits> {
        let mb = settings::get_i64(conn, "media.max_upload_mb")?.max(1) as u64;
        let mp = settings::get_i64(conn, "media.max_megapixels")?.max(1) as u64;
        Ok(Limits {
            max_bytes: mb * 1024 * 1024,
            max_pixels: mp * 1_000_000,
        })
    }
}

/// Why an upload was refused, in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A re-encoded image and its thumbnail, ready to be written.
#[derive(Debug)]
pub struct Processed {
    pub full: Vec<u8>,
    pub thumb: Vec<u8>,
    /// `jpg` or `png`: photos stay JPEG; PNGs and anything with transparency stay PNG, so
    /// a QR code keeps its sharp edges.
    pub ext: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The format by the file's first bytes; the name and the browser's content type are
/// never believed.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

fn mb(bytes: u64) -> String {
    let tenths = (bytes * 10).div_ceil(1024 * 1024);
    if tenths.is_multiple_of(10) {
        format!("{} MB", tenths / 10)
    } else {
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut r = ImageReader::with_format(Cursor::new(bytes), format);
    r.limits(limits);
    r
}

/// Checks and re-encodes one upload. Does no I/O, so it can run on a blocking thread and
/// be tested with bytes.
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Processed, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal("The file is empty.".into()));
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Refusal(format!(
            "The file is {}; images may be at most {}.",
            mb(bytes.len() as u64),
            mb(limits.max_bytes)
        )));
    }
    let Some(format) = sniff(bytes) else {
        return Err(Refusal(
            "This is not a JPEG, PNG or WebP image (judged by its content, not its name).".into(),
        ));
    };
    // The header alone first: a bomb's claimed size is refused before anything is unpacked.
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| unreadable(format, e))?;
    if w == 0 || h == 0 {
        return Err(Refusal("The image has no pixels.".into()));
    }
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(Refusal(format!(
            "The image is {w}×{h} pixels; each side may be at most {MAX_SIDE}."
        )));
    }
    let pixels = u64::from(w) * u64::from(h);
    if pixels > limits.max_pixels {
        return Err(Refusal(format!(
            "The image has {:.1} megapixels; at most {} are accepted.",
            pixels as f64 / 1e6,
            limits.max_pixels / 1_000_000
        )));
    }
    let mut decoder = reader(bytes, format)
        .into_decoder()
        .map_err(|e| unreadable(format, e))?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| unreadable(format, e))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let png = format == ImageFormat::Png || img.color().has_alpha();
    let thumb = img.thumbnail(THUMB_SIDE, THUMB_SIDE);
    Ok(Processed {
        full: encode(&img, png)?,
        thumb: encode(&thumb, png)?,
        ext: if png { "png" } else { "jpg" },
        width: img.width(),
        height: img.height(),
    })
}

fn unreadable(format: ImageFormat, e: image::ImageError) -> Refusal {
    let what = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        _ => "WebP",
    };
    match e {
        image::ImageError::Limits(_) => Refusal(format!(
            "The {what} image would need more than {} MB of memory to open; it is refused.",
            MAX_DECODE_BYTES / (1024 * 1024)
        )),
        other => Refusal(format!(
            "The file looks like {what} but cannot be read: {other}."
        )),
    }
}

fn encode(img: &DynamicImage, png: bool) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let result = if png {
        let rgba = DynamicImage::ImageRgba8(img.to_rgba8());
        rgba.write_with_encoder(PngEncoder::new(&mut out))
    } else {
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
    };
    result.map_err(|e| Refusal(format!("The image could not be re-encoded: {e}.")))?;
    Ok(out)
}

/// Where a processed image was written, relative to the media dir (as stored in the DB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub path: String,
    pub thumb: String,
}

/// A fresh name under `media/<folder>/`, never derived from the upload's name.
pub fn new_name(folder: &str, ext: &str) -> (String, String) {
    use rand::RngCore;
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let stem = hex::encode(b);
    (
        format!("{folder}/{stem}.{ext}"),
        format!("{folder}/{stem}.thumb.{ext}"),
    )
}

/// Writes both files (temp file, fsync, rename), so a crash never leaves half an image
/// under a name the DB points to.
pub fn write(media_dir: &Path, folder: &str, p: &Processed) -> std::io::Result<Stored> {
    let (path, thumb) = new_name(folder, p.ext);
    write_file(&media_dir.join(&path), &p.full)?;
    if let Err(e) = write_file(&media_dir.join(&thumb), &p.thumb) {
        let _ = std::fs::remove_file(media_dir.join(&path));
        return Err(e);
    }
    Ok(Stored { path, thumb })
}

fn write_file(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}

/// Removes an image and its thumbnail; already missing files are fine.
pub fn remove(media_dir: &Path, stored: &Stored) {
    for p in [&stored.path, &stored.thumb] {
        let _ = std::fs::remove_file(media_dir.join(p));
    }
}

/// The thumbnail's path for an image path written by `write`.
pub fn thumb_of(path: &str) -> PathBuf {
    match path.rsplit_once('.') {
        Some((stem, ext)) => PathBuf::from(format!("{stem}.thumb.{ext}")),
        None => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    const LIMITS: Limits = Limits {
        max_bytes: 5 * 1024 * 1024,
        max_pixels: 40_000_000,
    };

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_with_encoder(PngEncoder::new(&mut out))
            .unwrap();
        out
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, _| Rgb([(x % 256) as u8, 40, 200]));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    /// A JPEG with an APP1 EXIF segment carrying a GPS-looking marker string.
    fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
        let plain = jpeg(w, h);
        let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0SECRET-GPS-48.85N";
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn formats_are_told_by_content_not_name() {
        assert_eq!(sniff(&png(2, 2)), Some(ImageFormat::Png));
        assert_eq!(sniff(&jpeg(2, 2)), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::WebP));
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert_eq!(sniff(b"GIF89a"), None);
        let refused = process(b"<?xml version='1.0'?><svg/>", &LIMITS).unwrap_err();
        assert!(refused.0.contains("not a JPEG, PNG or WebP"), "{refused}");
    }

    #[test]
    fn a_photo_is_reencoded_without_its_metadata_and_gets_a_thumbnail() {
        let upload = jpeg_with_exif(1200, 800);
        assert!(upload.windows(10).any(|w| w == b"SECRET-GPS"));
        let p = process(&upload, &LIMITS).unwrap();
        assert_eq!((p.ext, p.width, p.height), ("jpg", 1200, 800));
        assert!(!p.full.windows(10).any(|w| w == b"SECRET-GPS"));
        assert!(!p.full.windows(4).any(|w| w == b"Exif"));
        let thumb = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (THUMB_SIDE, 320));
    }

    #[test]
    fn pngs_and_transparent_images_stay_png() {
        let p = process(&png(300, 300), &LIMITS).unwrap();
        assert_eq!(p.ext, "png");
        assert_eq!(sniff(&p.full), Some(ImageFormat::Png));
        let mut out = Vec::new();
        let rgba = RgbaImage::from_pixel(10, 10, Rgba([0, 0, 0, 0]));
        DynamicImage::ImageRgba8(rgba)
            .write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut out))
            .unwrap();
        let p = process(&out, &LIMITS).unwrap();
        assert_eq!((p.ext, p.width), ("png", 10));
    }

    #[test]
    fn limits_on_bytes_sides_and_pixels_refuse_with_the_numbers() {
        let small = Limits {
            max_bytes: 1000,
            max_pixels: 40_000_000,
        };
        let r = process(&png(300, 300), &small).unwrap_err();
        assert!(
            r.0.contains("at most 0.1 MB") || r.0.contains("at most 1"),
            "{r}"
        );
        let few = Limits {
            max_bytes: LIMITS.max_bytes,
            max_pixels: 1_000_000,
        };
        let r = process(&png(1100, 1000), &few).unwrap_err();
        assert!(r.0.contains("1.1 megapixels"), "{r}");
        let r = process(&png(10_001, 1), &LIMITS).unwrap_err();
        assert!(r.0.contains("10001×1"), "{r}");
    }

    /// PNG's chunk checksum, so the forged header below is a valid one.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A tiny PNG that claims 100,000 × 100,000 pixels: only the header is read.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let r = process(&bomb, &LIMITS).unwrap_err();
        assert!(r.0.contains("100000×100000"), "{r}");
        // Truncated data after a valid header is refused, not half-decoded.
        let mut cut = png(50, 50);
        cut.truncate(60);
        assert!(process(&cut, &LIMITS).is_err());
    }

    #[test]
    fn written_files_have_generated_names_and_can_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = process(&png(20, 20), &LIMITS).unwrap();
        let s = write(dir.path(), "payments", &p).unwrap();
        assert!(s.path.starts_with("payments/") && s.path.ends_with(".png"));
        assert_eq!(thumb_of(&s.path), PathBuf::from(&s.thumb));
        assert_eq!(std::fs::read(dir.path().join(&s.path)).unwrap(), p.full);
        let again = write(dir.path(), "payments", &p).unwrap();
        assert_ne!(again.path, s.path);
        remove(dir.path(), &s);
        assert!(!dir.path().join(&s.path).exists() && !dir.path().join(&s.thumb).exists());
    }
}
