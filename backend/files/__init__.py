"""Files (photos first): content-addressed storage, image checks, thumbnails, EXIF-free copies, access rules."""
