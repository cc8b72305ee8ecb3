from .i3d import I3D, checkpoint_stream, load_i3d_checkpoint

__all__ = ['I3D', 'checkpoint_stream', 'load_i3d_checkpoint']
