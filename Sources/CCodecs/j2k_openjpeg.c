// JPEG 2000 and HTJ2K frames through OpenJPEG, read from memory.
#include "ccodecs.h"

#include <openjpeg-2.5/openjpeg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
} memory_source;

static OPJ_SIZE_T source_read(void *buffer, OPJ_SIZE_T count, void *user) {
    memory_source *source = user;
    if (source->offset >= source->size) return (OPJ_SIZE_T)-1;
    size_t left = source->size - source->offset;
    size_t n = count < left ? count : left;
    memcpy(buffer, source->data + source->offset, n);
    source->offset += n;
    return n;
}

static OPJ_OFF_T source_skip(OPJ_OFF_T count, void *user) {
    memory_source *source = user;
    if (count < 0 && (size_t)(-count) > source->offset) count = -(OPJ_OFF_T)source->offset;
    if (count > 0 && (size_t)count > source->size - source->offset) count = (OPJ_OFF_T)(source->size - source->offset);
    source->offset += count;
    return count;
}

static OPJ_BOOL source_seek(OPJ_OFF_T position, void *user) {
    memory_source *source = user;
    if (position < 0 || (size_t)position > source->size) return OPJ_FALSE;
    source->offset = (size_t)position;
    return OPJ_TRUE;
}

typedef struct {
    char *text;
    size_t size;
} message_sink;

static void keep_error(const char *message, void *user) {
    message_sink *sink = user;
    if (sink->text[0] == 0) {
        snprintf(sink->text, sink->size, "%s", message);
        size_t length = strlen(sink->text);
        if (length > 0 && sink->text[length - 1] == '\n') sink->text[length - 1] = 0;
    }
}

static void ignore(const char *message, void *user) { (void)message; (void)user; }

int lb_j2k_decode(const uint8_t *in, size_t inSize, uint8_t *out, size_t outSize, lb_frame_info *info,
                  char *error, size_t errorSize) {
    error[0] = 0;
    if (inSize < 12) {
        snprintf(error, errorSize, "a JPEG 2000 bitstream of %zu bytes is too short", inSize);
        return -1;
    }
    // A JP2 file starts with its signature box; a bare codestream with SOC SIZ (FF4F FF51).
    static const uint8_t jp2[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
    OPJ_CODEC_FORMAT format = memcmp(in, jp2, 12) == 0 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K;
    opj_codec_t *codec = opj_create_decompress(format);
    message_sink sink = {error, errorSize};
    opj_set_error_handler(codec, keep_error, &sink);
    opj_set_warning_handler(codec, ignore, NULL);
    opj_set_info_handler(codec, ignore, NULL);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    memory_source source = {in, inSize, 0};
    opj_stream_t *stream = opj_stream_create(64 * 1024, OPJ_TRUE);
    opj_stream_set_user_data(stream, &source, NULL);
    opj_stream_set_user_data_length(stream, inSize);
    opj_stream_set_read_function(stream, source_read);
    opj_stream_set_skip_function(stream, source_skip);
    opj_stream_set_seek_function(stream, source_seek);
    opj_image_t *image = NULL;
    int status = -1;
    if (!opj_setup_decoder(codec, &parameters) || !opj_read_header(stream, codec, &image)) goto done;
    info->width = (int32_t)(image->x1 - image->x0);
    info->height = (int32_t)(image->y1 - image->y0);
    info->components = (int32_t)image->numcomps;
    info->precision = (int32_t)image->comps[0].prec;
    info->isSigned = (int32_t)image->comps[0].sgnd;
    info->bytesPerSample = image->comps[0].prec <= 8 ? 1 : 2;
    if (out == NULL) {
        status = 0;
        goto done;
    }
    if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) goto done;
    // OpenJPEG undoes a multiple component transform (DICOM's YBR_RCT and YBR_ICT) itself;
    // the caller, which knows the Photometric Interpretation, says so.
    info->convertedToRGB = 0;
    size_t pixels = (size_t)info->width * (size_t)info->height;
    size_t components = image->numcomps;
    size_t bytes = (size_t)info->bytesPerSample;
    if (pixels * components * bytes > outSize) {
        snprintf(error, errorSize, "the decoded frame (%zu bytes) is larger than the %zu the image's attributes give",
                 pixels * components * bytes, outSize);
        goto done;
    }
    for (size_t c = 0; c < components; c++) {
        opj_image_comp_t *component = &image->comps[c];
        if (component->w != (OPJ_UINT32)info->width || component->h != (OPJ_UINT32)info->height || component->data == NULL) {
            snprintf(error, errorSize, "component %zu is %ux%u, not the image's %dx%d (subsampled components are not read)",
                     c, component->w, component->h, info->width, info->height);
            goto done;
        }
    }
    for (size_t i = 0; i < pixels; i++) {
        for (size_t c = 0; c < components; c++) {
            int32_t value = image->comps[c].data[i];
            uint8_t *target = out + (i * components + c) * bytes;
            target[0] = (uint8_t)(value & 0xFF);
            if (bytes == 2) target[1] = (uint8_t)((value >> 8) & 0xFF);
        }
    }
    status = 0;
done:
    if (status != 0 && error[0] == 0) snprintf(error, errorSize, "OpenJPEG could not decode the bitstream");
    if (image) opj_image_destroy(image);
    opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    return status;
}
