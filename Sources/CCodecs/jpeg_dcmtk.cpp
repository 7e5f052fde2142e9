// JPEG frames through DCMTK's IJG decoders (libijg8/12/16 behind dcmjpeg's classes).
#include "ccodecs.h"

#include <cstdio>
#include <memory>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmjpeg/djcparam.h"
#include "dcmtk/dcmjpeg/djdijg12.h"
#include "dcmtk/dcmjpeg/djdijg16.h"
#include "dcmtk/dcmjpeg/djdijg8.h"
#include "dcmtk/oflog/oflog.h"

// DCMTK writes its decoders' warnings ("Corrupt JPEG data: ...") to stderr, which is a
// server's log: unstructured lines no one asked for. What matters comes back as the error.
static const bool dcmtkQuiet = [] {
    OFLog::getLogger("dcmtk.dcmjpeg").setLogLevel(OFLogger::OFF_LOG_LEVEL);
    return true;
}();

extern "C" int lb_jpeg_decode(const uint8_t *in, size_t inSize, int precision, int isYBR, int isSigned,
                              uint8_t *out, size_t outSize, lb_frame_info *info, char *error, size_t errorSize) {
    // YBR is turned into RGB when the image says it is YBR (PS3.5 8.2.1: the usual reading).
    DJCodecParameter parameters(ECC_lossyYCbCr, EDC_photometricInterpretation, EUC_never, EPC_colorByPixel);
    std::unique_ptr<DJDecoder> decoder;
    if (precision <= 8) decoder.reset(new DJDecompressIJG8Bit(parameters, isYBR ? OFTrue : OFFalse));
    else if (precision <= 12) decoder.reset(new DJDecompressIJG12Bit(parameters, isYBR ? OFTrue : OFFalse));
    else decoder.reset(new DJDecompressIJG16Bit(parameters, isYBR ? OFTrue : OFFalse));
    OFCondition result = decoder->init();
    if (result.good()) {
        result = decoder->decode(const_cast<Uint8 *>(in), static_cast<Uint32>(inSize), out, static_cast<Uint32>(outSize),
                                 isSigned ? OFTrue : OFFalse);
    }
    if (result.bad()) {
        snprintf(error, errorSize, "%s", result.text());
        return -1;
    }
    info->bytesPerSample = decoder->bytesPerSample();
    info->precision = precision;
    info->convertedToRGB = decoder->getDecompressedColorModel() == EPI_RGB && isYBR ? 1 : 0;
    return 0;
}
