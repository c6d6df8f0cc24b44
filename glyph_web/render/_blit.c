/* Glyph compositing for fast_raster: the numpy path's arithmetic, one glyph after the other in paint order.
 *
 * For glyph i, slot s = slot[i] holds count[s] pixels starting at start[s]: offsets (dy, dx) from the glyph
 * origin (gx[i], gy[i]) and coverage a. Each pixel inside the page gets, per channel,
 *     dst = ((255 - a) * dst + a * colour) / 255        (truncating, as poppler's Splash does)
 * px is H x W x C bytes (C = 1 grey plane or 3 RGB); colour index per glyph into colours (ncolours x C).
 *
 * Nothing is read or written outside the arrays as their lengths are given: start and count hold nslots
 * entries, dy, dx and a hold npixels, colours ncolours x C. A glyph whose slot is not in [0, nslots), whose
 * pixel range start[s] .. start[s] + count[s] is not inside [0, npixels), or whose colour index is not in
 * [0, ncolours) is skipped, and so is one whose origin is absurdly far off the page; pixels off the page are
 * skipped.
 * Built by glyph_web/render/native.py with the system C compiler; the numpy path gives the same bytes.
 */
#include <stdint.h>

/* Glyph origins further than this from the page are skipped: then a pixel position, summed with wrap-around
 * (unsigned, so defined for any offset), can only land on the page where the true sum does. */
#define FAR ((int64_t)1 << 40)

void glyph_blit(uint8_t *px, int64_t W, int64_t H, int64_t C, int64_t n,
                const int64_t *gx, const int64_t *gy, const int64_t *slot, const int32_t *colour_index,
                const uint8_t *colours, int64_t ncolours,
                const int64_t *start, const int64_t *count, int64_t nslots,
                const int64_t *dy, const int64_t *dx, const uint16_t *a, int64_t npixels)
{
    if (W <= 0 || H <= 0 || C <= 0 || n <= 0)
        return;
    for (int64_t i = 0; i < n; i++) {
        int64_t s = slot[i], ci = colour_index[i];
        if (s < 0 || s >= nslots || ci < 0 || ci >= ncolours)
            continue;
        int64_t k0 = start[s], len = count[s];
        if (k0 < 0 || len < 0 || k0 > npixels || len > npixels - k0)
            continue;
        const uint8_t *col = colours + ci * C;
        int64_t ox = gx[i], oy = gy[i];
        if (ox < -FAR || ox > FAR || oy < -FAR || oy > FAR)
            continue;
        for (int64_t k = k0; k < k0 + len; k++) {
            int64_t x = (int64_t)((uint64_t)ox + (uint64_t)dx[k]), y = (int64_t)((uint64_t)oy + (uint64_t)dy[k]);
            if (x < 0 || x >= W || y < 0 || y >= H)
                continue;
            uint32_t cov = a[k] < 255 ? a[k] : 255, keep = 255 - cov;
            uint8_t *p = px + (y * W + x) * C;
            for (int64_t c = 0; c < C; c++)
                p[c] = (uint8_t)((keep * p[c] + cov * col[c]) / 255);
        }
    }
}
