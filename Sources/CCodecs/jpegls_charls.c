// JPEG-LS frames through CharLS's C API.
#include "ccodecs.h"

#include <charls/charls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lb_jpegls_decode(const uint8_t *in, size_t inSize, uint8_t *out, size_t outSize, lb_frame_info *info,
                     char *error, size_t errorSize) {
    charls_jpegls_decoder *decoder = charls_jpegls_decoder_create();
    if (decoder == NULL) {
        snprintf(error, errorSize, "CharLS could not make a decoder");
        return -1;
    }
    int status = -1;
    uint8_t *planes = NULL;
    charls_frame_info frame;
    charls_interleave_mode mode;
    charls_jpegls_errc result = charls_jpegls_decoder_set_source_buffer(decoder, in, inSize);
    if (result == CHARLS_JPEGLS_ERRC_SUCCESS) result = charls_jpegls_decoder_read_header(decoder);
    if (result == CHARLS_JPEGLS_ERRC_SUCCESS) result = charls_jpegls_decoder_get_frame_info(decoder, &frame);
    if (result == CHARLS_JPEGLS_ERRC_SUCCESS) result = charls_jpegls_decoder_get_interleave_mode(decoder, &mode);
    if (result != CHARLS_JPEGLS_ERRC_SUCCESS) goto done;
    info->width = (int32_t)frame.width;
    info->height = (int32_t)frame.height;
    info->components = frame.component_count;
    info->precision = frame.bits_per_sample;
    info->bytesPerSample = frame.bits_per_sample <= 8 ? 1 : 2;
    info->isSigned = 0;
    info->convertedToRGB = 0;
    if (out == NULL) {
        status = 0;
        goto done;
    }
    size_t size = 0;
    result = charls_jpegls_decoder_get_destination_size(decoder, 0, &size);
    if (result != CHARLS_JPEGLS_ERRC_SUCCESS) goto done;
    if (size > outSize) {
        snprintf(error, errorSize, "the decoded frame (%zu bytes) is larger than the %zu the image's attributes give", size, outSize);
        goto done;
    }
    size_t components = (size_t)frame.component_count;
    if (mode == CHARLS_INTERLEAVE_MODE_NONE && components > 1) {
        // Decoded plane by plane; given colour by pixel.
        planes = malloc(size);
        if (planes == NULL) {
            snprintf(error, errorSize, "no memory for a %zu-byte frame", size);
            goto done;
        }
        result = charls_jpegls_decoder_decode_to_buffer(decoder, planes, size, 0);
        if (result != CHARLS_JPEGLS_ERRC_SUCCESS) goto done;
        size_t bytes = (size_t)info->bytesPerSample, pixels = (size_t)frame.width * frame.height;
        for (size_t c = 0; c < components; c++)
            for (size_t i = 0; i < pixels; i++)
                memcpy(out + (i * components + c) * bytes, planes + (c * pixels + i) * bytes, bytes);
    } else {
        result = charls_jpegls_decoder_decode_to_buffer(decoder, out, size, 0);
        if (result != CHARLS_JPEGLS_ERRC_SUCCESS) goto done;
    }
    status = 0;
done:
    if (status != 0 && result != CHARLS_JPEGLS_ERRC_SUCCESS) snprintf(error, errorSize, "%s", charls_get_error_message(result));
    free(planes);
    charls_jpegls_decoder_destroy(decoder);
    return status;
}
