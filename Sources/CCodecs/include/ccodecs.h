// The C boundary of Lifeboat's codecs: one function a library, each decoding one frame's
// bitstream into native samples, interleaved (colour by pixel), little endian, 1 byte a
// sample when the output is 8 bits deep and 2 bytes otherwise. Each returns 0, or -1 with a
// NUL-terminated message in `error`. Nothing is kept between calls.
#ifndef LIFEBOAT_CCODECS_H
#define LIFEBOAT_CCODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What a decoder found in the bitstream.
typedef struct {
    int32_t width;
    int32_t height;
    int32_t components;
    int32_t precision;      // bits a sample in the bitstream
    int32_t bytesPerSample; // in `out`: 1 or 2
    int32_t isSigned;       // JPEG 2000 only: the codestream's own signedness
    int32_t convertedToRGB; // a colour transform was undone: the samples are RGB now
} lb_frame_info;

/// JPEG (ISO 10918-1: baseline, extended 12-bit, lossless process 14) through DCMTK's
/// IJG libraries (8, 12 and 16 bits). `precision` is the SOF's sample precision; `isYBR`
/// whether the DICOM Photometric Interpretation is a YBR one (then converted to RGB).
int lb_jpeg_decode(const uint8_t *in, size_t inSize, int precision, int isYBR, int isSigned,
                   uint8_t *out, size_t outSize, lb_frame_info *info, char *error, size_t errorSize);

/// 8-bit lossy JPEG (baseline, extended with 8-bit samples) through libjpeg-turbo.
/// `photometricIsRGB`: the DICOM Photometric Interpretation is RGB (no colour transform to
/// undo); a 3-component frame of another is YCbCr, converted to RGB.
int lb_jpeg8_decode(const uint8_t *in, size_t inSize, int photometricIsRGB, uint8_t *out, size_t outSize,
                    lb_frame_info *info, char *error, size_t errorSize);

/// JPEG 2000 and HTJ2K (ISO 15444-1/-15, codestream or JP2) through OpenJPEG. With `out`
/// NULL only the header is read into `info` (to size `out`).
int lb_j2k_decode(const uint8_t *in, size_t inSize, uint8_t *out, size_t outSize, lb_frame_info *info,
                  char *error, size_t errorSize);

/// JPEG-LS (ISO 14495-1, lossless and near-lossless) through CharLS. With `out` NULL only
/// the header is read into `info`.
int lb_jpegls_decode(const uint8_t *in, size_t inSize, uint8_t *out, size_t outSize, lb_frame_info *info,
                     char *error, size_t errorSize);

#ifdef __cplusplus
}
#endif
#endif
