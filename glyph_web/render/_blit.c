/* Glyph compositing for fast_raster: the numpy path's arithmetic, one glyph after the other in paint order.
 *
 * For glyph i, slot s = slot[i] holds count[s] pixels starting at start[s]: offsets (dy, dx) from the glyph
 * origin (gx[i], gy[i]) and coverage a. Each pixel inside the page gets, per channel,
 *     dst = ((255 - a) * dst + a * colour) / 255        (truncating, as poppler's Splash does)
 * px is H x W x C bytes (C = 1 grey plane or 3 RGB); colour index per glyph into colours (ncol x C).
 * Built by glyph_web/render/native.py with the system C compiler; the numpy path gives the same bytes.
 */
#include <stdint.h>

void glyph_blit(uint8_t *px, int64_t W, int64_t H, int64_t C, int64_t n,
                const int64_t *gx, const int64_t *gy, const int64_t *slot, const int32_t *colour_index,
                const uint8_t *colours, const int64_t *start, const int64_t *count,
                const int64_t *dy, const int64_t *dx, const uint16_t *a)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t s = slot[i], k0 = start[s], k1 = start[s] + count[s];
        const uint8_t *col = colours + (int64_t)colour_index[i] * C;
        for (int64_t k = k0; k < k1; k++) {
            int64_t x = gx[i] + dx[k], y = gy[i] + dy[k];
            if (x < 0 || x >= W || y < 0 || y >= H)
                continue;
            uint32_t cov = a[k], keep = 255 - cov;
            uint8_t *p = px + (y * W + x) * C;
            for (int64_t c = 0; c < C; c++)
                p[c] = (uint8_t)((keep * p[c] + cov * col[c]) / 255);
        }
    }
}
