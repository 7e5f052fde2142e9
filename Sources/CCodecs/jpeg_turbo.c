// 8-bit lossy JPEG (ISO 10918-1 baseline, and extended with 8-bit samples) through
// libjpeg-turbo's libjpeg API: the fast path for the most common compressed images
// (ultrasound, secondary capture, endoscopy). Its errors come back by longjmp, not exit().
#include "ccodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf escape;
    char *error;
    size_t errorSize;
} lb_turbo_error;

static void lb_turbo_fail(j_common_ptr codec) {
    lb_turbo_error *failure = (lb_turbo_error *)codec->err;
    char text[JMSG_LENGTH_MAX];
    (*codec->err->format_message)(codec, text);
    snprintf(failure->error, failure->errorSize, "%s", text);
    longjmp(failure->escape, 1);
}

// Warnings (a corrupt segment the decoder gets past) are not printed to a server's log.
static void lb_turbo_quiet(j_common_ptr codec, int level) { (void)codec; (void)level; }

int lb_jpeg8_decode(const uint8_t *in, size_t inSize, int photometricIsRGB, uint8_t *out, size_t outSize,
                    lb_frame_info *info, char *error, size_t errorSize) {
    struct jpeg_decompress_struct codec;
    lb_turbo_error failure;
    memset(&codec, 0, sizeof codec);
    codec.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = lb_turbo_fail;
    failure.manager.emit_message = lb_turbo_quiet;
    failure.error = error;
    failure.errorSize = errorSize;
    if (setjmp(failure.escape)) {
        jpeg_destroy_decompress(&codec);
        return -1;
    }
    jpeg_create_decompress(&codec);
    jpeg_mem_src(&codec, in, (unsigned long)inSize);
    jpeg_read_header(&codec, TRUE);
    if (codec.num_components == 3) {
        // PS3.5 8.2.1: a JPEG of Photometric RGB holds RGB (no colour transform, whatever the
        // markers say); a YBR one holds YCbCr, made RGB here.
        if (photometricIsRGB) codec.jpeg_color_space = JCS_RGB;
        codec.out_color_space = JCS_RGB;
    }
    jpeg_start_decompress(&codec);
    size_t row = (size_t)codec.output_width * (size_t)codec.output_components;
    if (row * codec.output_height > outSize) {
        snprintf(error, errorSize, "the decoded frame (%zu bytes) is larger than the %zu the image's attributes give",
                 row * codec.output_height, outSize);
        jpeg_destroy_decompress(&codec);
        return -1;
    }
    while (codec.output_scanline < codec.output_height) {
        JSAMPROW line = out + (size_t)codec.output_scanline * row;
        jpeg_read_scanlines(&codec, &line, 1);
    }
    info->width = (int32_t)codec.output_width;
    info->height = (int32_t)codec.output_height;
    info->components = codec.output_components;
    info->precision = 8;
    info->bytesPerSample = 1;
    info->isSigned = 0;
    info->convertedToRGB = codec.num_components == 3 && !photometricIsRGB ? 1 : 0;
    jpeg_finish_decompress(&codec);
    jpeg_destroy_decompress(&codec);
    return 0;
}
