//! A PNG of a QR code, drawn from the `qrcode` crate's modules: the payment QR codes
//! (`payments::qr` makes their texts) and the two-factor set-up key.

use std::io::Cursor;

use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode};

use crate::error::{AppError, AppResult};

/// Pixels per QR module, and the quiet zone around the code (4 modules, as the QR
/// standard asks).
const SCALE: u32 = 8;
const QUIET: u32 = 4;

/// A black-on-white PNG of `payload` as a QR code (error correction M, as EPC069-12 asks),
/// with its quiet zone.
pub fn png(payload: &str) -> AppResult<Vec<u8>> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::internal(format!("QR code: {e}")))?;
    let modules = code.width() as u32;
    let side = (modules + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let img = GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / SCALE, y / SCALE);
        let inside =
            (QUIET..QUIET + modules).contains(&mx) && (QUIET..QUIET + modules).contains(&my);
        let dark =
            inside && colors[((my - QUIET) * modules + (mx - QUIET)) as usize] == Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| AppError::internal(format!("QR PNG: {e}")))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_draws_the_qr_code_of_the_payload() {
        let payload =
            "BCD\n002\n1\nSCT\n\nCorner Shop\nDE89370400440532013000\nEUR5.00\n\n\nOrder 1";
        let bytes = png(payload).unwrap();
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
            .unwrap()
            .to_luma8();
        assert_eq!(img.width(), img.height());
        assert_eq!(img.width() % SCALE, 0);
        // Every module's centre has the colour of the QR code of that payload, and the
        // quiet zone is white.
        let code = QrCode::with_error_correction_level(payload, EcLevel::M).unwrap();
        let n = code.width() as u32;
        assert_eq!(img.width(), (n + 2 * QUIET) * SCALE);
        let colors = code.to_colors();
        for my in 0..n + 2 * QUIET {
            for mx in 0..n + 2 * QUIET {
                let px = img
                    .get_pixel(mx * SCALE + SCALE / 2, my * SCALE + SCALE / 2)
                    .0[0];
                let inside = (QUIET..QUIET + n).contains(&mx) && (QUIET..QUIET + n).contains(&my);
                let dark =
                    inside && colors[((my - QUIET) * n + (mx - QUIET)) as usize] == Color::Dark;
                assert_eq!(px, if dark { 0 } else { 255 }, "module {mx},{my}");
            }
        }
    }
}
