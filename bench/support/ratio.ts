/** `ours ÷ theirs`, below 1 when ours is smaller; 1 when both are zero, infinite when only theirs is. */
export const ratio = (ours: number, theirs: number): number => (theirs === 0 ? (ours === 0 ? 1 : Number.POSITIVE_INFINITY) : ours / theirs);
